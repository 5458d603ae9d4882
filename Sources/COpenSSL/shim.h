#ifndef RESTORE_DRILL_COPENSSL_SHIM_H
#define RESTORE_DRILL_COPENSSL_SHIM_H
#include <openssl/evp.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/bio.h>
#endif
