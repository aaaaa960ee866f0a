#!/bin/sh
# A throw-away lab CA and one server certificate per NAME=ADDRESS argument (the address as an IP SAN), in DIR:
#   lab_tls.sh DIR NAME=ADDRESS...
# Keeps what DIR already holds, so a second prepare changes nothing.
set -eu
dir=$1
shift
mkdir -p "$dir"
cd "$dir"
if [ ! -f ca.pem ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=replkit lab CA" -keyout ca.key -out ca.pem 2>/dev/null
fi
for pair in "$@"; do
  name=${pair%%=*}
  address=${pair#*=}
  [ -f "$name.pem" ] && continue
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$name" -keyout "$name.key" -out "$name.csr" 2>/dev/null
  printf 'subjectAltName=IP:%s\n' "$address" > "$name.ext"
  openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -extfile "$name.ext" \
    -out "$name.pem" 2>/dev/null
done
