// <email>: HTML (expressions expanded) to the action's `to`/`cc` or the
// workflow's mail-receivers, with attachments — files on the worker, or a
// query's rows as CSV — sent through [mail] (src/mail), or written as an
// .eml file under <logs>/mail/ when no server is configured.
#include <filesystem>
#include <sstream>

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>

#include "actions/exec.hpp"
#include "actions/kinds.hpp"
#include "db/connection.hpp"
#include "db/csv.hpp"
#include "mail/mail.hpp"
#include "util/files.hpp"
#include "util/strings.hpp"

namespace cafflow {

#ifdef CAFFLOW_EXEC

namespace {

/// Largest attachment, in bytes: mail is no file transfer.
constexpr std::size_t max_attachment = 20 * 1024 * 1024;

std::string mime_of(const std::string& name) {
  auto ext = to_lower(std::filesystem::path(name).extension().string());
  if (ext == ".csv")
    return "text/csv";
  if (ext == ".txt" || ext == ".log")
    return "text/plain";
  if (ext == ".html" || ext == ".htm")
    return "text/html";
  if (ext == ".pdf")
    return "application/pdf";
  if (ext == ".json")
    return "application/json";
  return "application/octet-stream";
}

std::string query_csv(exec_context& ctx, const std::string& link, const std::string& query) {
  auto db = connect_link(ctx, link);
  std::ostringstream out;
  try {
    Poco::Data::Statement select(db->session());
    select << query;
    ctx.cancel->set_hook(db->canceller());
    select.execute();
    ctx.cancel->clear_hook();
    Poco::Data::RecordSet rs(select);
    csv_record header;
    for (std::size_t c = 0; c < rs.columnCount(); ++c)
      header.push_back(csv_field{rs.columnName(c), false});
    write_csv_record(out, header, ",");
    for (std::size_t r = 0; r < rs.rowCount(); ++r) {
      csv_record row;
      for (std::size_t c = 0; c < rs.columnCount(); ++c)
        row.push_back(rs.isNull(c, r) ? csv_field{"", true}
                                      : csv_field{rs.value(c, r).convert<std::string>(), false});
      write_csv_record(out, row, ",");
      if (out.tellp() > static_cast<std::streamoff>(max_attachment))
        throw std::runtime_error("the rows of the attachment query exceed "
                                 + std::to_string(max_attachment) + " bytes");
    }
  } catch (const std::runtime_error&) {
    throw;
  } catch (const std::exception& e) {
    ctx.cancel->clear_hook();
    ctx.cancel->check();
    throw std::runtime_error("the attachment query on db link '" + link
                             + "' failed: " + db_error_text(e));
  }
  return out.str();
}

} // namespace

#endif // CAFFLOW_EXEC

#ifndef CAFFLOW_EXEC

action_kind email_kind() {
  action_kind kind;
  kind.name = "email";
  kind.prepare = [](const action_body& body, const attempt_context& ctx,
                    attempt_spec& spec) -> expected<void> {
    const auto& e = body_as<email_action>(body);
    nlohmann::json doc;
    for (auto [name, text] : {std::pair{"html", &e.html}, std::pair{"to", &e.to},
                              std::pair{"cc", &e.cc}, std::pair{"subject", &e.subject}}) {
      auto expanded = expand_for(ctx, *text);
      if (!expanded)
        return expanded.error();
      doc[name] = *expanded;
    }
    std::vector<std::string> to = split_list(doc["to"].get<std::string>());
    if (to.empty())
      to = ctx.wf->mail_receivers;
    // No receivers at all: the runner sends nothing (the load warned).
    doc["to"] = to;
    doc["cc"] = split_list(doc["cc"].get<std::string>());
    if (doc["subject"].get<std::string>().empty())
      doc["subject"] = "[cafflow] " + ctx.wf->name + ": " + ctx.wf->nodes[ctx.node].name;
    doc["attachments"] = nlohmann::json::array();
    for (const auto& a : e.attachments) {
      nlohmann::json item;
      for (auto [name, text] : {std::pair{"content", &a.content}, std::pair{"db_link", &a.db_link},
                                std::pair{"name", &a.name}}) {
        auto expanded = expand_for(ctx, *text);
        if (!expanded)
          return expanded.error();
        item[name] = *expanded;
      }
      doc["attachments"].push_back(std::move(item));
    }
    spec.payload = doc.dump();
    return {};
  };
  kind.command = exec_command;
  kind.exec = true;
  return kind;
}

#endif // !CAFFLOW_EXEC

#ifdef CAFFLOW_EXEC

void send_warning_mail(exec_context& ctx, const std::vector<std::string>& to,
                       const std::string& subject, const std::vector<std::string>& lines) {
  if (to.empty()) {
    ctx.log("no mail-receivers: the warning is not mailed");
    return;
  }
  mail_message msg;
  msg.to = to;
  msg.subject = subject;
  for (const auto& line : lines) {
    std::string escaped;
    for (char c : line)
      switch (c) {
        case '<': escaped += "&lt;"; break;
        case '>': escaped += "&gt;"; break;
        case '&': escaped += "&amp;"; break;
        default: escaped += c;
      }
    msg.html += "<p>" + escaped + "</p>\n";
    msg.text += line + "\n";
  }
  if (!ctx.site.mail.password.empty())
    ctx.secrets.push_back(ctx.site.mail.password);
  auto sent = send_mail(ctx.site.mail, msg);
  ctx.log(sent ? "warning mail: " + *sent
               : "the warning mail could not be sent: " + sent.error().message);
}

void email_runner(exec_context& ctx) {
  const auto& spec = ctx.spec;
  mail_message msg;
  msg.to = spec.at("to").get<std::vector<std::string>>();
  if (msg.to.empty()) {
    // As akkaflow: a mail to nobody is not sent, and the node succeeds.
    ctx.log("no receivers (no 'to', no 'mail-receivers'): nothing sent");
    ctx.result = {{"to", msg.to}, {"delivery", "not sent: no receivers"}};
    return;
  }
  msg.cc = spec.value("cc", std::vector<std::string>{});
  msg.subject = spec.value("subject", std::string{});
  msg.html = spec.value("html", std::string{});
  for (const auto& a : spec.value("attachments", nlohmann::json::array())) {
    mail_attachment attachment;
    auto content = a.value("content", std::string{});
    auto link = a.value("db_link", std::string{});
    attachment.name = a.value("name", std::string{});
    if (!link.empty()) {
      if (attachment.name.empty())
        attachment.name = "result.csv";
      attachment.content = query_csv(ctx, link, content);
    } else {
      auto path = resolve_worker_path(ctx, content);
      auto text = read_file(path);
      if (!text)
        throw std::runtime_error("attachment: " + text.error().message);
      if (text->size() > max_attachment)
        throw std::runtime_error("attachment " + path + " has more than "
                                 + std::to_string(max_attachment) + " bytes");
      if (attachment.name.empty())
        attachment.name = std::filesystem::path(path).filename().string();
      attachment.content = std::move(*text);
    }
    attachment.mime_type = mime_of(attachment.name);
    ctx.log("attaching " + attachment.name + " (" + std::to_string(attachment.content.size())
            + " bytes)");
    msg.attachments.push_back(std::move(attachment));
  }
  if (!ctx.site.mail.password.empty())
    ctx.secrets.push_back(ctx.site.mail.password);
  auto sent = send_mail(ctx.site.mail, msg);
  if (!sent)
    throw std::runtime_error(sent.error().message);
  ctx.log(*sent);
  ctx.result = {{"to", msg.to}, {"subject", msg.subject}, {"delivery", *sent}};
}

#endif // CAFFLOW_EXEC

} // namespace cafflow
