package httpapi

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
)

// streamLimiter counts the open streams, in total and per client address. It
// is taken once when a stream opens and once when it ends, never per event,
// so a mutex is the simple and sufficient tool.
type streamLimiter struct {
	mu        sync.Mutex
	total     uint64            // open streams; guarded by mu
	perClient map[string]uint64 // open streams per client; guarded by mu, no zero entries
	maxTotal  uint64            // guarded by mu
	maxClient uint64            // guarded by mu
}

func newStreamLimiter(maxTotal, maxClient uint64) *streamLimiter {
	return &streamLimiter{perClient: make(map[string]uint64), maxTotal: maxTotal, maxClient: maxClient}
}

// acquire counts a new stream of client and reports true, or reports false
// without counting when either limit is reached.
func (l *streamLimiter) acquire(client string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.total >= l.maxTotal || l.perClient[client] >= l.maxClient {
		return false
	}
	l.total++
	l.perClient[client]++
	return true
}

// release uncounts a stream that acquire counted.
func (l *streamLimiter) release(client string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n, ok := l.perClient[client]
	if !ok {
		return
	}
	l.total--
	if n <= 1 {
		delete(l.perClient, client)
		return
	}
	l.perClient[client] = n - 1
}

// setLimits changes the limits; streams already open stay open.
func (l *streamLimiter) setLimits(maxTotal, maxClient uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.maxTotal, l.maxClient = maxTotal, maxClient
}

// counts returns the open streams in total and of client.
func (l *streamLimiter) counts(client string) (total, ofClient uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total, l.perClient[client]
}

// clientAddress returns the key that identifies the client of r for the
// per-client limit: the IP of the connection's peer, or, when the peer is a
// trusted proxy, the rightmost X-Forwarded-For entry that is not a trusted
// proxy (entries left of it could be written by anybody); see clientKey.
// The reference keys its per-host limit by the Host header instead, which
// names the server, not the client.
func clientAddress(r *http.Request, trusted []netip.Prefix) string {
	peer, ok := parseIP(r.RemoteAddr)
	if !ok {
		return r.RemoteAddr
	}
	if !isTrusted(peer, trusted) {
		return clientKey(peer)
	}
	client := peer
	values := r.Header.Values("X-Forwarded-For")
	for i := len(values) - 1; i >= 0; i-- {
		hops := strings.Split(values[i], ",")
		for j := len(hops) - 1; j >= 0; j-- {
			hop, ok := parseIP(strings.TrimSpace(hops[j]))
			if !ok {
				// Garbage where an address belongs: stop at the last
				// address we could trust.
				return clientKey(client)
			}
			client = hop
			if !isTrusted(hop, trusted) {
				return clientKey(client)
			}
		}
	}
	return clientKey(client)
}

// clientKey is the per-client limit's key for ip: an IPv4 address as it is,
// an IPv6 address as its /64 network ("2001:db8:1:2::/64"). An IPv6 host is
// given a /64 (or more) and may use any address in it, so keying by the
// address would let one client open a stream from each of 2^64 addresses,
// each with a budget of its own. The zone (fe80::1%eth0) is dropped.
func clientKey(ip netip.Addr) string {
	if ip.Is4() {
		return ip.String()
	}
	p, err := ip.WithZone("").Prefix(64)
	if err != nil { // cannot happen for a valid IPv6 address
		return ip.String()
	}
	return p.String()
}

// parseIP reads an IP with or without a port (and IPv6 brackets).
func parseIP(s string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	if host, _, err := net.SplitHostPort(s); err == nil {
		s = host
	}
	ip, err := netip.ParseAddr(strings.Trim(s, "[]"))
	if err != nil {
		return netip.Addr{}, false
	}
	return ip.Unmap(), true
}

func isTrusted(ip netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}
