// Delimited text files: RFC 4180 quoting ("..." around fields holding the
// delimiter, a quote or a line break; "" for a quote inside), any literal
// delimiter, streamed record by record.
#pragma once

#include <istream>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace cafflow {

/// One field: its text, or NULL (an empty field that was not quoted).
struct csv_field {
  std::string text;
  bool null = false;
};

using csv_record = std::vector<csv_field>;

/// Reads records from a stream.
class csv_reader {
public:
  csv_reader(std::istream& in, std::string delimiter) : in_(in), delimiter_(std::move(delimiter)) {}

  /// The next record, or nothing at the end. Throws std::runtime_error
  /// naming the line of a quote that is never closed.
  std::optional<csv_record> next();

  /// The line the last record returned started on (1-based).
  long line() const { return record_line_; }

private:
  std::istream& in_;
  std::string delimiter_;
  long line_ = 0;
  long record_line_ = 0;
};

/// Writes one record (a line ending in \n): NULL as an empty field, an empty
/// text as "".
void write_csv_record(std::ostream& out, const csv_record& record, const std::string& delimiter);

/// UTF-8 from ISO-8859-1 text, and back (characters beyond U+00FF become '?').
std::string latin1_to_utf8(const std::string& text);
std::string utf8_to_latin1(const std::string& text);

} // namespace cafflow
