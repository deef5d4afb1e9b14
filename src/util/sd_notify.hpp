// systemd's readiness protocol (sd_notify(3)) without libsystemd: one
// datagram to the unix socket named by $NOTIFY_SOCKET, which systemd sets
// for Type=notify services. Without that variable nothing happens.
#pragma once

#include <string>

namespace cafflow {

/// Sends `state` ("READY=1", "STATUS=...", "STOPPING=1", lines joined by
/// '\n') to systemd. Returns false when there is no $NOTIFY_SOCKET or the
/// datagram could not be sent (then systemd is not listening: nothing to do).
bool notify_systemd(const std::string& state);

} // namespace cafflow
