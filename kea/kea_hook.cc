// libdhcp_rbp.so: the Kea hook of the dual-device backup platform
// (docs/kea.md). Thin on purpose: it turns Kea's objects into the JSON Kea
// itself writes for a lease (Lease::toElement()) and hands it to the C
// worker (kea_worker.h), which does everything else; and it drops the
// packets of clients this device is not master for.
//
// Parameters ("parameters" of the hook in Kea's configuration):
//   "control-socket"  this Kea's control socket (required: restores go there)
//   "rundir"          rbpd's run directory (default /run/dualbackup)
//   "sync-ms"         > 0: the synchronous mode. Kea's answer to a client
//                     whose lease changed (the DHCPACK, the DHCPv6 REPLY)
//                     is parked until the peer holds the lease, or sync-ms
//                     (at most 60000) passed: then it goes, not backed up.
#include <asiolink/io_service.h>
#include <cc/data.h>
#include <dhcp/pkt4.h>
#include <dhcp/pkt6.h>
#include <dhcpsrv/lease.h>
#include <hooks/hooks.h>
#include <hooks/parking_lots.h>
#include <log/logger.h>
#include <log/macros.h>
#include <log/message_initializer.h>
#include <stats/stats_mgr.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "kea/kea_worker.h"

using namespace isc::dhcp;
using namespace isc::hooks;

namespace
{

const char *messages[] = {"RBP_KEA_INFO",  "%1", "RBP_KEA_WARN", "%1",
			  "RBP_KEA_ERROR", "%1", nullptr};
const isc::log::MessageInitializer initializer(messages);
const isc::log::MessageID RBP_KEA_INFO = "RBP_KEA_INFO";
const isc::log::MessageID RBP_KEA_WARN = "RBP_KEA_WARN";
const isc::log::MessageID RBP_KEA_ERROR = "RBP_KEA_ERROR";
isc::log::Logger logger("rbp");

void log_msg(enum kw_level level, const char *msg)
{
	switch (level) {
	case KW_INFO:
		LOG_INFO(logger, RBP_KEA_INFO).arg(msg);
		break;
	case KW_WARN:
		LOG_WARN(logger, RBP_KEA_WARN).arg(msg);
		break;
	default:
		LOG_ERROR(logger, RBP_KEA_ERROR).arg(msg);
	}
}

// The worker's counters, as Kea statistics (statistic-get-all shows them).
void stat_set(const char *name, int64_t value)
{
	isc::stats::StatsMgr::instance().setValue(name, value);
}

std::string param_str(LibraryHandle &h, const char *name, const char *dflt)
{
	isc::data::ConstElementPtr p = h.getParameter(name);

	if (!p)
		return dflt;
	if (p->getType() != isc::data::Element::string)
		isc_throw(isc::BadValue, "rbp hook: parameter " << name << " must be a string");
	return p->stringValue();
}

template <typename L> void event(const L &lease, bool del, const std::string &iface)
{
	if (!lease)
		return;
	std::string j = lease->toElement()->str();
	kw_event(j.data(), j.size(), del, iface.empty() ? nullptr : iface.c_str());
}

template <typename C> void events(const C &leases, bool del, const std::string &iface)
{
	if (!leases)
		return;
	for (const auto &l : *leases)
		event(l, del, iface);
}

// The synchronous mode: a query parked until the worker says its leases
// are backed up; unparked from Kea's own IO service (the worker is another
// thread), so Kea sends the answer on its own thread.
isc::asiolink::IOServicePtr io;

struct Parked {
	virtual ~Parked() = default;
	virtual void unpark() = 0;
};

template <typename P> struct ParkedQuery : Parked {
	ParkingLotHandlePtr lot;
	P query;
	ParkedQuery(ParkingLotHandlePtr l, P q) : lot(l), query(q)
	{
	}
	void unpark() override
	{
		lot->unpark(query);
	}
};

void done(void *cookie, int status)
{
	Parked *p = static_cast<Parked *>(cookie);

	// -1: the hook is being unloaded; Kea clears its parking lots itself,
	// and no code of this library may run after it.
	if (status < 0 || !io) {
		delete p;
		return;
	}
	io->post([p]() {
		p->unpark();
		delete p;
	});
}

// Parks q when the synchronous mode is on and there are leases to back up;
// the events go to the worker with the parked query as their cookie (the
// last one carries it: the worker answers a drain's events together).
template <typename P, typename C>
void events_parked(CalloutHandle &h, const P &q, const C &leases, const C &deleted,
		   const std::string &iface)
{
	bool any = (leases && !leases->empty()) || (deleted && !deleted->empty());

	if (!kw_sync() || !io || !q || !any) {
		events(deleted, true, iface);
		events(leases, false, iface);
		return;
	}
	ParkingLotHandlePtr lot = h.getParkingLotHandlePtr();
	lot->reference(q);
	Parked *cookie = new ParkedQuery<P>(lot, q);
	std::vector<std::pair<std::string, bool>> all;
	if (deleted)
		for (const auto &l : *deleted)
			if (l)
				all.emplace_back(l->toElement()->str(), true);
	if (leases)
		for (const auto &l : *leases)
			if (l)
				all.emplace_back(l->toElement()->str(), false);
	if (all.empty()) { // nothing to back up after all: answer now
		delete cookie;
		lot->dereference(q);
		return;
	}
	for (size_t i = 0; i < all.size(); i++)
		kw_event_parked(all[i].first.data(), all[i].first.size(), all[i].second,
				iface.empty() ? nullptr : iface.c_str(),
				i + 1 == all.size() ? cookie : nullptr);
	h.setStatus(CalloutHandle::NEXT_STEP_PARK);
}

// leases4_committed and leases6_committed: the query (P) and its new and
// deleted leases (C), under the argument names of the family.
template <typename P, typename C>
int committed(CalloutHandle &h, const char *query, const char *leases_name,
	      const char *deleted_name)
{
	P q;
	C leases, deleted;

	h.getArgument(query, q);
	h.getArgument(leases_name, leases);
	h.getArgument(deleted_name, deleted);
	std::string iface = q ? q->getIface() : "";
	events_parked(h, q, leases, deleted, iface);
	return 0;
}

bool answers(const HWAddrPtr &hw, const std::string &iface)
{
	// a client without an Ethernet address: no parity decides it
	if (!hw || hw->hwaddr_.size() != 6)
		return kw_answers(nullptr, iface.c_str());
	return kw_answers(hw->hwaddr_.data(), iface.c_str());
}

} // namespace

extern "C" {

int version()
{
	return KEA_HOOKS_VERSION;
}

int multi_threading_compatible()
{
	return 1; // the callouts only queue, under the worker's lock
}

int load(LibraryHandle &handle)
{
	static std::string rundir, ctrl;
	struct kw_opts o = {};

	rundir = param_str(handle, "rundir", "/run/dualbackup");
	ctrl = param_str(handle, "control-socket", "");
	if (ctrl.empty()) {
		LOG_ERROR(logger, RBP_KEA_ERROR).arg("parameter control-socket is required");
		return 1;
	}
	// Which server loaded us. (CfgMgr would tell, but Debian's kea-dev 2.2
	// lacks a header that cfgmgr.h includes.)
	o.family = strstr(program_invocation_short_name, "dhcp6") ? 6 : 4;
	isc::data::ConstElementPtr sync = handle.getParameter("sync-ms");
	if (sync && (sync->getType() != isc::data::Element::integer || sync->intValue() < 0 ||
		     sync->intValue() > 60000)) {
		LOG_ERROR(logger, RBP_KEA_ERROR).arg("parameter sync-ms must be 0..60000");
		return 1;
	}
	o.sync_ms = sync ? static_cast<int>(sync->intValue()) : 0;
	o.done = done;
	o.rundir = rundir.c_str();
	o.ctrl_socket = ctrl.c_str();
	o.log = log_msg;
	o.stat = stat_set;
	return kw_start(&o) < 0 ? 1 : 0;
}

int unload()
{
	kw_stop();
	io.reset();
	return 0;
}

// Kea's IO service, where parked queries are unparked.
int dhcp4_srv_configured(CalloutHandle &h)
{
	h.getArgument("io_context", io);
	return 0;
}

int dhcp6_srv_configured(CalloutHandle &h)
{
	h.getArgument("io_context", io);
	return 0;
}

// The earliest look at a DHCPv4 packet, before Kea unpacks it: the other
// device's clients (half of all packets on a shared segment) cost this Kea
// no more than reading chaddr (RFC 2131 section 2: htype at byte 1, hlen
// at 2, chaddr at 28).
int buffer4_receive(CalloutHandle &h)
{
	Pkt4Ptr q;

	h.getArgument("query4", q);
	if (!q || q->data_.size() < 34 || q->data_[1] != 1 || q->data_[2] != 6)
		return 0; // not Ethernet: pkt4_receive decides once unpacked
	if (!kw_answers(&q->data_[28], q->getIface().c_str()))
		h.setStatus(CalloutHandle::NEXT_STEP_DROP);
	return 0;
}

int pkt4_receive(CalloutHandle &h)
{
	Pkt4Ptr q;

	h.getArgument("query4", q);
	if (q && !answers(q->getHWAddr(), q->getIface()))
		h.setStatus(CalloutHandle::NEXT_STEP_DROP);
	return 0;
}

int pkt6_receive(CalloutHandle &h)
{
	Pkt6Ptr q;

	h.getArgument("query6", q);
	if (q && !answers(q->getMAC(HWAddr::HWADDR_SOURCE_ANY), q->getIface()))
		h.setStatus(CalloutHandle::NEXT_STEP_DROP);
	return 0;
}

// The leases a query changed, to the worker; the answer parked in the
// synchronous mode (events_parked()).
int leases4_committed(CalloutHandle &h)
{
	return committed<Pkt4Ptr, Lease4CollectionPtr>(h, "query4", "leases4", "deleted_leases4");
}

int leases6_committed(CalloutHandle &h)
{
	return committed<Pkt6Ptr, Lease6CollectionPtr>(h, "query6", "leases6", "deleted_leases6");
}

// Released, declined (the address is probed by nobody: the peer just
// forgets the client's lease) and expired leases leave the backup.
#define GONE(NAME, TYPE, ARG)                                                                      \
	int NAME(CalloutHandle &h)                                                                 \
	{                                                                                          \
		TYPE l;                                                                            \
		h.getArgument(ARG, l);                                                             \
		event(l, true, "");                                                                \
		return 0;                                                                          \
	}
GONE(lease4_release, Lease4Ptr, "lease4")
GONE(lease4_decline, Lease4Ptr, "lease4")
GONE(lease4_expire, Lease4Ptr, "lease4")
GONE(lease6_release, Lease6Ptr, "lease6")
GONE(lease6_decline, Lease6Ptr, "lease6")
GONE(lease6_expire, Lease6Ptr, "lease6")

} // extern "C"
