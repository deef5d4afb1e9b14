#include "security/identity.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "security/openssl_util.hpp"
#include "util/files.hpp"

namespace cafflow::tls {

using namespace detail;

namespace {

error auth_error(const std::string& what) {
  return make_error(ec::invalid_request, what);
}

} // namespace

// -- trust_store ---------------------------------------------------------------

struct trust_store::impl {
  store_ptr store;
};

trust_store::trust_store(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
trust_store::trust_store(trust_store&&) noexcept = default;
trust_store& trust_store::operator=(trust_store&&) noexcept = default;
trust_store::~trust_store() = default;

expected<trust_store> trust_store::load(const std::string& ca_file) {
  auto pem = read_file(ca_file);
  if (!pem)
    return make_error(ec::invalid_config, "tls: " + pem.error().message);
  auto trust = from_pem(*pem);
  if (!trust)
    return make_error(ec::invalid_config, "tls: " + ca_file + ": " + trust.error().message);
  return trust;
}

expected<trust_store> trust_store::from_pem(const std::string& ca_pem) {
  auto p = std::make_unique<impl>();
  p->store.reset(X509_STORE_new());
  if (!p->store)
    return make_error(ec::invalid_config, openssl_error("cannot create a certificate store"));
  bio_ptr bio{BIO_new_mem_buf(ca_pem.data(), static_cast<int>(ca_pem.size()))};
  int count = 0;
  while (true) {
    x509_ptr cert{PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)};
    if (!cert)
      break;
    if (X509_STORE_add_cert(p->store.get(), cert.get()) != 1)
      return make_error(ec::invalid_config, openssl_error("cannot add a CA certificate"));
    ++count;
  }
  ERR_clear_error();
  if (count == 0)
    return make_error(ec::invalid_config, "no CA certificate in it");
  return trust_store{std::move(p)};
}

expected<peer_identity> trust_store::verify(const std::string& cert_pem) const {
  auto cert = read_cert(cert_pem);
  if (!cert) {
    ERR_clear_error();
    return auth_error("the peer's certificate does not parse");
  }
  store_ctx_ptr ctx{X509_STORE_CTX_new()};
  if (!ctx || X509_STORE_CTX_init(ctx.get(), impl_->store.get(), cert.get(), nullptr) != 1)
    return auth_error(openssl_error("cannot verify a certificate"));
  auto subject = name_text(X509_get_subject_name(cert.get()));
  if (X509_verify_cert(ctx.get()) != 1) {
    auto why = X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
    ERR_clear_error();
    return auth_error("the peer's certificate (" + subject
                      + ") is not one of this cluster's: " + why);
  }
  // A CA certificate proves no role, even if its OU happened to name one.
  if (X509_check_ca(cert.get()) != 0)
    return auth_error("the peer presented a CA certificate (" + subject + ")");
  auto ou = name_entry(X509_get_subject_name(cert.get()), NID_organizationalUnitName);
  auto role = parse_cert_role(ou);
  if (!role)
    return auth_error("the peer's certificate (" + subject + ") names no cafflow role");
  auto cn = name_entry(X509_get_subject_name(cert.get()), NID_commonName);
  auto at = cn.find('@');
  auto host = at == std::string::npos ? std::string{} : cn.substr(at + 1);
  return peer_identity{*role, std::move(subject), std::move(host), fingerprint(cert.get())};
}

expected<peer_identity> trust_store::verify_signed(const std::string& cert_pem,
                                                   std::string_view text,
                                                   const std::string& signature) const {
  auto who = verify(cert_pem);
  if (!who)
    return who;
  auto cert = read_cert(cert_pem);
  pkey_ptr key{cert ? X509_get_pubkey(cert.get()) : nullptr};
  std::string sig;
  if (!key || !from_hex(signature, sig)) {
    ERR_clear_error();
    return auth_error("the peer's signature is malformed");
  }
  md_ctx_ptr ctx{EVP_MD_CTX_new()};
  auto ok = ctx
            && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) == 1
            && EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()),
                                sig.size(), reinterpret_cast<const unsigned char*>(text.data()),
                                text.size())
                 == 1;
  ERR_clear_error();
  if (!ok)
    return auth_error("the peer's signature (" + who->subject + ") does not verify");
  return who;
}

// -- node_key ------------------------------------------------------------------

struct node_key::impl {
  std::string cert_pem;
  pkey_ptr key;
};

node_key::node_key(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
node_key::node_key(node_key&&) noexcept = default;
node_key& node_key::operator=(node_key&&) noexcept = default;
node_key::~node_key() = default;

expected<node_key> node_key::load(const std::string& cert_file, const std::string& key_file) {
  auto pair = read_pair(cert_file, key_file);
  if (!pair)
    return make_error(ec::invalid_config, "tls: " + pair.error().message);
  auto key = from_pem(*pair);
  if (!key)
    return make_error(ec::invalid_config,
                      "tls: " + cert_file + " / " + key_file + ": " + key.error().message);
  return key;
}

expected<node_key> node_key::from_pem(const pem_pair& pair) {
  auto cert = read_cert(pair.cert);
  auto key = read_key(pair.key);
  if (!cert || !key || X509_check_private_key(cert.get(), key.get()) != 1)
    return make_error(ec::invalid_config,
                      openssl_error("the certificate and key do not form a pair"));
  auto p = std::make_unique<impl>();
  p->cert_pem = cert_to_pem(cert.get()); // the first certificate only
  p->key = std::move(key);
  return node_key{std::move(p)};
}

const std::string& node_key::cert_pem() const { return impl_->cert_pem; }

expected<std::string> node_key::sign(std::string_view text) const {
  md_ctx_ptr ctx{EVP_MD_CTX_new()};
  std::size_t len = 0;
  if (!ctx
      || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, impl_->key.get()) != 1
      || EVP_DigestSign(ctx.get(), nullptr, &len,
                        reinterpret_cast<const unsigned char*>(text.data()), text.size())
           != 1)
    return make_error(ec::unspecified, openssl_error("cannot sign"));
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(text.data()), text.size())
      != 1)
    return make_error(ec::unspecified, openssl_error("cannot sign"));
  return to_hex(reinterpret_cast<const unsigned char*>(sig.data()), len);
}

std::string random_hex(std::size_t bytes) {
  std::string buf(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(buf.data()), static_cast<int>(bytes)) != 1)
    std::abort(); // no randomness: nothing here may continue
  return to_hex(reinterpret_cast<const unsigned char*>(buf.data()), bytes);
}

} // namespace cafflow::tls
