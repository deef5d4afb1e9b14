// Oracle and Hive through ODBC: akkaflow connected to them with their JDBC
// drivers (jdbc:oracle:thin:..., jdbc:hive2://...); cafflow has no JVM, so it
// turns such a url into an ODBC connection string for the driver the worker
// has installed, named in [odbc] (oracle_driver, hive_driver). Pure text
// work: the connection itself is db/connection.cpp's.
#pragma once

#include <string>

#include "expected.hpp"

namespace cafflow {

/// The ODBC driver names of [odbc]: the section names of odbcinst.ini that
/// ORACLE and HIVE db links connect through.
struct odbc_drivers {
  std::string oracle;
  std::string hive;
};

/// True for the db-link types that connect through an ODBC driver named in
/// [odbc] (ORACLE, HIVE).
bool is_odbc_bridged(const std::string& type);

/// The [odbc] key that names the driver of `type` ("odbc.oracle_driver",
/// "odbc.hive_driver"); "" for other types.
std::string odbc_driver_key(const std::string& type);

/// The driver of `type` in `drivers` ("" when none is configured).
std::string odbc_driver_for(const std::string& type, const odbc_drivers& drivers);

/// Where a bridged url points.
struct bridged_url {
  std::string host;
  std::string port;
  /// Oracle: the SID (jdbc:oracle:thin:@host:port:SID) or the service name
  /// (jdbc:oracle:thin:@//host:port/service); Hive: the database ("default"
  /// when the url names none).
  std::string database;
  /// Oracle: true for a service name, false for a SID.
  bool service = false;
};

/// Checks `url` for `type` (ORACLE: jdbc:oracle:thin:@host:port:SID,
/// jdbc:oracle:thin:@//host:port/service or jdbc:oracle:thin:@host:port/service;
/// HIVE: jdbc:hive2://host:port[/database][;session settings]). The error
/// says which forms are accepted.
expected<bridged_url> parse_bridged_url(const std::string& type, const std::string& url);

/// `value` as a value of an ODBC connection string: as it is when it holds
/// none of ;{}= and no outer blanks, else in braces with } doubled.
std::string odbc_value(const std::string& value);

/// The ODBC connection string for a link of `type` (ORACLE or HIVE) at
/// `url` through `driver`, with the user and password (each left out when
/// empty). Oracle: Driver, DBQ (EZConnect for a service, a TNS descriptor
/// for a SID), UID, PWD. Hive (the Cloudera/Simba drivers' keys): Driver,
/// Host, Port, Schema, HiveServerType=2, AuthMech (0 none, 2 user name,
/// 3 user name and password), UID, PWD.
expected<std::string> odbc_connection_string(const std::string& type, const std::string& url,
                                             const std::string& driver,
                                             const std::string& username,
                                             const std::string& password);

} // namespace cafflow
