#include "util/hash.hpp"

#include <Poco/DigestEngine.h>
#include <Poco/SHA1Engine.h>

namespace cafflow {

std::string content_hash(const std::string& data) {
  Poco::SHA1Engine engine;
  engine.update(data);
  return Poco::DigestEngine::digestToHex(engine.digest());
}

} // namespace cafflow
