// Source positions (line, column) of pugixml nodes and offsets in the text
// they were parsed from, for diagnostics of the small XML files (db_links.xml,
// file_links.xml, alerts.xml).
#pragma once

#include <cstddef>
#include <string_view>

#include <pugixml.hpp>

#include "model/workflow.hpp"
#include "util/strings.hpp"

namespace cafflow {

class xml_positions {
public:
  explicit xml_positions(std::string_view xml) : xml_(xml) {}

  /// The position of byte `offset` (a negative one is the start).
  source_pos at(std::ptrdiff_t offset) const {
    auto lc = offset_to_line_col(xml_, offset < 0 ? 0 : static_cast<std::size_t>(offset));
    return source_pos{lc.line, lc.column};
  }

  /// The position of a node: the '<' of an element.
  source_pos of(pugi::xml_node n) const {
    auto offset = n.offset_debug();
    return at(offset > 0 && n.type() == pugi::node_element ? offset - 1 : offset);
  }

private:
  std::string_view xml_;
};

} // namespace cafflow
