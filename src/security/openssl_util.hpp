// Owning handles for OpenSSL objects and the error text of its error queue
// (internal to src/security).
#pragma once

#include <memory>
#include <string>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

namespace cafflow::tls::detail {

struct bio_free {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct pkey_free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct x509_free {
  void operator()(X509* p) const { X509_free(p); }
};
struct md_ctx_free {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct store_free {
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
};
struct store_ctx_free {
  void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); }
};

using bio_ptr = std::unique_ptr<BIO, bio_free>;
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;
using x509_ptr = std::unique_ptr<X509, x509_free>;
using md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, md_ctx_free>;
using store_ptr = std::unique_ptr<X509_STORE, store_free>;
using store_ctx_ptr = std::unique_ptr<X509_STORE_CTX, store_ctx_free>;

/// The messages of OpenSSL's error queue (emptied), or `fallback`.
std::string openssl_error(const std::string& fallback);

/// The first certificate of a PEM text.
x509_ptr read_cert(const std::string& pem);

/// The private key of a PEM text.
pkey_ptr read_key(const std::string& pem);

/// PEM of a certificate / of a private key.
std::string cert_to_pem(X509* cert);
std::string key_to_pem(EVP_PKEY* key);

/// The value of one entry (e.g. NID_organizationalUnitName) of a name, or "".
std::string name_entry(X509_NAME* name, int nid);

/// "CN=...,OU=...,O=..." (RFC 2253).
std::string name_text(X509_NAME* name);

/// SHA-256 of the DER certificate, lower-case hex.
std::string fingerprint(X509* cert);

/// Bytes as lower-case hex, and back (false on bad input).
std::string to_hex(const unsigned char* data, std::size_t size);
bool from_hex(const std::string& hex, std::string& out);

} // namespace cafflow::tls::detail
