#include "db/csv.hpp"

#include <stdexcept>

namespace cafflow {

std::optional<csv_record> csv_reader::next() {
  std::string line;
  if (!std::getline(in_, line))
    return std::nullopt;
  ++line_;
  record_line_ = line_;
  if (!line.empty() && line.back() == '\r')
    line.pop_back();
  csv_record record;
  std::size_t i = 0;
  while (true) {
    csv_field field;
    if (i < line.size() && line[i] == '"') {
      // Quoted: up to the closing quote, across line ends.
      ++i;
      while (true) {
        if (i >= line.size()) {
          std::string more;
          if (!std::getline(in_, more))
            throw std::runtime_error("line " + std::to_string(record_line_)
                                     + ": a quoted field is never closed");
          ++line_;
          if (!more.empty() && more.back() == '\r')
            more.pop_back();
          field.text += '\n';
          line = std::move(more);
          i = 0;
          continue;
        }
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field.text += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field.text += line[i++];
      }
      if (i < line.size() && line.compare(i, delimiter_.size(), delimiter_) != 0)
        throw std::runtime_error("line " + std::to_string(line_)
                                 + ": text after a closing quote (a quote inside a field must "
                                   "be doubled)");
    } else {
      auto end = line.find(delimiter_, i);
      field.text = line.substr(i, end == std::string::npos ? std::string::npos : end - i);
      field.null = field.text.empty();
      i = end == std::string::npos ? line.size() : end;
    }
    record.push_back(std::move(field));
    if (i >= line.size())
      break;
    i += delimiter_.size(); // past the delimiter
    if (i == line.size()) {  // a trailing delimiter: one more, empty field
      record.push_back(csv_field{"", true});
      break;
    }
  }
  return record;
}

void write_csv_record(std::ostream& out, const csv_record& record, const std::string& delimiter) {
  for (std::size_t i = 0; i < record.size(); ++i) {
    if (i > 0)
      out << delimiter;
    const auto& f = record[i];
    if (f.null)
      continue;
    bool quote = f.text.empty() || f.text.find(delimiter) != std::string::npos
                 || f.text.find_first_of("\"\r\n") != std::string::npos;
    if (!quote) {
      out << f.text;
      continue;
    }
    out << '"';
    for (char c : f.text) {
      if (c == '"')
        out << '"';
      out << c;
    }
    out << '"';
  }
  out << '\n';
}

std::string latin1_to_utf8(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else {
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  return out;
}

std::string utf8_to_latin1(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
    } else if ((c & 0xE0) == 0xC0 && i + 1 < text.size()) {
      unsigned code = ((c & 0x1Fu) << 6) | (static_cast<unsigned char>(text[i + 1]) & 0x3Fu);
      out += code <= 0xFF ? static_cast<char>(code) : '?';
      i += 2;
    } else {
      out += '?';
      i += (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
    }
  }
  return out;
}

} // namespace cafflow
