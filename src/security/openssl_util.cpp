#include "security/openssl_util.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>

namespace cafflow::tls::detail {

std::string openssl_error(const std::string& fallback) {
  std::string text;
  while (auto code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    if (!text.empty())
      text += "; ";
    text += buf;
  }
  return text.empty() ? fallback : text;
}

x509_ptr read_cert(const std::string& pem) {
  bio_ptr bio{BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()))};
  if (!bio)
    return nullptr;
  return x509_ptr{PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)};
}

pkey_ptr read_key(const std::string& pem) {
  bio_ptr bio{BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()))};
  if (!bio)
    return nullptr;
  return pkey_ptr{PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr)};
}

namespace {

std::string drain(BIO* bio) {
  char* data = nullptr;
  auto size = BIO_get_mem_data(bio, &data);
  return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string{};
}

} // namespace

std::string cert_to_pem(X509* cert) {
  bio_ptr bio{BIO_new(BIO_s_mem())};
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1)
    return {};
  return drain(bio.get());
}

std::string key_to_pem(EVP_PKEY* key) {
  bio_ptr bio{BIO_new(BIO_s_mem())};
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return {};
  return drain(bio.get());
}

std::string name_entry(X509_NAME* name, int nid) {
  if (name == nullptr)
    return {};
  auto index = X509_NAME_get_index_by_NID(name, nid, -1);
  if (index < 0)
    return {};
  auto* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  unsigned char* utf8 = nullptr;
  auto len = ASN1_STRING_to_UTF8(&utf8, data);
  if (len < 0)
    return {};
  std::string result(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(len));
  OPENSSL_free(utf8);
  return result;
}

std::string name_text(X509_NAME* name) {
  bio_ptr bio{BIO_new(BIO_s_mem())};
  if (!bio || name == nullptr)
    return {};
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  return drain(bio.get());
}

std::string to_hex(const unsigned char* data, std::size_t size) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out.push_back(digits[data[i] >> 4]);
    out.push_back(digits[data[i] & 0xf]);
  }
  return out;
}

bool from_hex(const std::string& hex, std::string& out) {
  if (hex.size() % 2 != 0)
    return false;
  auto value = [](char c) -> int {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
      return c - 'A' + 10;
    return -1;
  };
  out.clear();
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    auto hi = value(hex[i]);
    auto lo = value(hex[i + 1]);
    if (hi < 0 || lo < 0)
      return false;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return true;
}

std::string fingerprint(X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_digest(cert, EVP_sha256(), md, &len) != 1)
    return {};
  return to_hex(md, len);
}

} // namespace cafflow::tls::detail
