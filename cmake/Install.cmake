# Where a system install puts cafflow (the Debian package's layout; sbin/package
# installs with --prefix /usr into a staging root): binaries in <prefix>/bin,
# the config in /etc/cafflow (conf/cafflow.ini with [paths] and [store]
# pointing at /var/lib/cafflow, /var/log/cafflow, /etc/cafflow/xmlconfig),
# systemd units in /lib/systemd/system, bash completion, docs and examples in
# <prefix>/share. `DESTDIR=DIR cmake --install build` installs all of it
# below DIR.
include(GNUInstallDirs)

install(TARGETS cafflowd cafflow cafflow-spawner cafflow-exec
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# The installed config: conf/cafflow.ini with absolute system paths.
file(READ ${PROJECT_SOURCE_DIR}/conf/cafflow.ini CAFFLOW_INI)
string(REGEX MATCH "\nhome =[^\n]*\n" found "${CAFFLOW_INI}")
if(NOT found)
  message(FATAL_ERROR "cmake/Install.cmake: conf/cafflow.ini has no line matching 'home'")
endif()
string(REGEX REPLACE "\nhome =[^\n]*\n" "\nhome = /var/lib/cafflow          ; relative paths resolve against this folder\n" CAFFLOW_INI "${CAFFLOW_INI}")
string(REGEX MATCH "xmlconfig = xmlconfig[^\n]*\n" found "${CAFFLOW_INI}")
if(NOT found)
  message(FATAL_ERROR "cmake/Install.cmake: conf/cafflow.ini has no line matching 'xmlconfig'")
endif()
string(REGEX REPLACE "xmlconfig = xmlconfig[^\n]*\n" "xmlconfig = /etc/cafflow/xmlconfig ; folder of workflow XML files, scanned recursively\n" CAFFLOW_INI "${CAFFLOW_INI}")
string(REGEX MATCH "data = data [^\n]*\n" found "${CAFFLOW_INI}")
if(NOT found)
  message(FATAL_ERROR "cmake/Install.cmake: conf/cafflow.ini has no line matching 'data'")
endif()
string(REGEX REPLACE "data = data [^\n]*\n" "data = /var/lib/cafflow          ; pid files, work directories and the SQLite database\n" CAFFLOW_INI "${CAFFLOW_INI}")
string(REGEX MATCH "logs = logs [^\n]*\n" found "${CAFFLOW_INI}")
if(NOT found)
  message(FATAL_ERROR "cmake/Install.cmake: conf/cafflow.ini has no line matching 'logs'")
endif()
string(REGEX REPLACE "logs = logs [^\n]*\n" "logs = /var/log/cafflow          ; role logs (<role>-<port>.log) and task logs (tasks/)\n" CAFFLOW_INI "${CAFFLOW_INI}")
string(REGEX MATCH "db_links = conf/db_links.xml[^\n]*\n" found "${CAFFLOW_INI}")
if(NOT found)
  message(FATAL_ERROR "cmake/Install.cmake: conf/cafflow.ini has no line matching 'db_links'")
endif()
string(REGEX REPLACE "db_links = conf/db_links.xml[^\n]*\n" "db_links = /etc/cafflow/db_links.xml ; named database connections for db-link=\"...\"\n" CAFFLOW_INI "${CAFFLOW_INI}")
string(REGEX MATCH "file_links = conf/file_links.xml[^\n]*\n" found "${CAFFLOW_INI}")
if(NOT found)
  message(FATAL_ERROR "cmake/Install.cmake: conf/cafflow.ini has no line matching 'file_links'")
endif()
string(REGEX REPLACE "file_links = conf/file_links.xml[^\n]*\n" "file_links = /etc/cafflow/file_links.xml ; named file systems for file-link=\"...\"\n" CAFFLOW_INI "${CAFFLOW_INI}")
string(REGEX MATCH "url = sqlite:data/cafflow.db[^\n]*\n" found "${CAFFLOW_INI}")
if(NOT found)
  message(FATAL_ERROR "cmake/Install.cmake: conf/cafflow.ini has no line matching 'url'")
endif()
string(REGEX REPLACE "url = sqlite:data/cafflow.db[^\n]*\n" "url = sqlite:/var/lib/cafflow/cafflow.db ; or mysql://user:password@127.0.0.1:3306/dbname\n" CAFFLOW_INI "${CAFFLOW_INI}")
string(REPLACE "; cafflow configuration." "; cafflow configuration (as installed by the Debian package)."
       CAFFLOW_INI "${CAFFLOW_INI}")
file(WRITE ${CMAKE_BINARY_DIR}/packaging/cafflow.ini "${CAFFLOW_INI}")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/conf/cafflow.ini)

install(FILES ${CMAKE_BINARY_DIR}/packaging/cafflow.ini ${PROJECT_SOURCE_DIR}/conf/db_links.xml
              ${PROJECT_SOURCE_DIR}/conf/file_links.xml
        DESTINATION /etc/cafflow PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
install(DIRECTORY DESTINATION /etc/cafflow/xmlconfig)
install(FILES ${PROJECT_SOURCE_DIR}/conf/systemd/cafflow-master.service
              ${PROJECT_SOURCE_DIR}/conf/systemd/cafflow-standby.service
              ${PROJECT_SOURCE_DIR}/conf/systemd/cafflow-http.service
              ${PROJECT_SOURCE_DIR}/conf/systemd/cafflow-worker@.service
        DESTINATION /lib/systemd/system PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
install(FILES ${PROJECT_SOURCE_DIR}/sbin/completion.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME cafflow)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/xmlconfig/examples
        DESTINATION ${CMAKE_INSTALL_DATADIR}/cafflow)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY DESTINATION /var/lib/cafflow)
install(DIRECTORY DESTINATION /var/log/cafflow)
