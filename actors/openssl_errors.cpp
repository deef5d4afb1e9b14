// OpenSSL's error queue, cleared before each TLS I/O call of this process.
//
// OpenSSL keeps failures in a per-thread queue and SSL_get_error() reads it:
// it must be empty before SSL_read, SSL_write, SSL_accept and SSL_connect, or
// the next connection served by the thread inherits the last one's failure.
// CAF 0.17's OpenSSL module never empties it (the log calls that would are
// compiled out in Debian's build), so a single peer failing its handshake
// (a stranger without a certificate of the cluster, or plain garbage) made
// the multiplexer thread close the established connections to the workers
// and the http server. These definitions take the place of OpenSSL's for
// every library of the process (the executable's symbols come first) and
// call the real ones with an empty queue, as OpenSSL's documentation asks.
#include <dlfcn.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace {

template <class F>
F next_definition(const char* name) {
  auto f = reinterpret_cast<F>(::dlsym(RTLD_NEXT, name));
  if (f == nullptr)
    ::abort(); // libssl without SSL_read: nothing here can work
  return f;
}

} // namespace

extern "C" {

int SSL_read(SSL* ssl, void* buf, int num) {
  static const auto real = next_definition<int (*)(SSL*, void*, int)>("SSL_read");
  ERR_clear_error();
  return real(ssl, buf, num);
}

int SSL_write(SSL* ssl, const void* buf, int num) {
  static const auto real = next_definition<int (*)(SSL*, const void*, int)>("SSL_write");
  ERR_clear_error();
  return real(ssl, buf, num);
}

int SSL_accept(SSL* ssl) {
  static const auto real = next_definition<int (*)(SSL*)>("SSL_accept");
  ERR_clear_error();
  return real(ssl);
}

int SSL_connect(SSL* ssl) {
  static const auto real = next_definition<int (*)(SSL*)>("SSL_connect");
  ERR_clear_error();
  return real(ssl);
}

} // extern "C"
