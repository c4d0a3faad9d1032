/* sha256.h - the SHA-256 of some bytes, as sha256sum prints it. */
#ifndef DROVER_SHA256_H
#define DROVER_SHA256_H

#include <stddef.h>

/* 64 lower-case hex digits and a NUL in out. */
void sha256_hex(const void *data, size_t len, char out[65]);

#endif
