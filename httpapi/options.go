package httpapi

import (
	"log/slog"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// The reference webservice's configuration-map keys, read by WithConfigMap
// and Reconfigure.
const (
	ConfigKeyRESTResponseSize  = "event.RESTResponseSize"
	ConfigKeyMaxStreams        = "event.maxStreams"
	ConfigKeyMaxStreamsPerHost = "event.maxStreamsPerHost"
)

// Defaults, as in the reference webservice (the keep-alive and the retry are
// ours: the reference has no Server-Sent Events).
const (
	// DefaultResponseSize is the default and the cap of count on the batch
	// endpoint.
	DefaultResponseSize = uint64(10000)
	// DefaultMaxStreams is how many streams may be open at once, in total.
	DefaultMaxStreams = uint64(100)
	// DefaultMaxStreamsPerClient is how many streams one client address (an
	// IPv6 client: its /64) may have open at once.
	DefaultMaxStreamsPerClient = uint64(15)
	// DefaultWriteTimeout bounds every write to a stream or of a part of a
	// batch response: a client that takes longer to accept it is dropped.
	DefaultWriteTimeout = 5 * time.Second
	// DefaultKeepAlive is how long an SSE stream may stay silent before a
	// comment line is sent.
	DefaultKeepAlive = 15 * time.Second
	// DefaultRetry is the reconnection delay an SSE stream asks its client
	// for (the "retry:" field).
	DefaultRetry = time.Second
)

// Option configures New. Options apply in order; a nil Option is a no-op.
type Option func(*config)

// config holds the settings fixed by New. The limits that Reconfigure can
// change live in the Handler as atomics.
type config struct {
	instanceUUID   string
	responseSize   uint64
	maxStreams     uint64
	maxPerClient   uint64
	trustedProxies []netip.Prefix
	allowedOrigins map[string]bool
	anyOrigin      bool
	writeTimeout   time.Duration
	keepAlive      time.Duration
	retry          time.Duration
	compress       bool
	logger         *slog.Logger
}

func defaultConfig() config {
	return config{
		responseSize: DefaultResponseSize,
		maxStreams:   DefaultMaxStreams,
		maxPerClient: DefaultMaxStreamsPerClient,
		writeTimeout: DefaultWriteTimeout,
		keepAlive:    DefaultKeepAlive,
		retry:        DefaultRetry,
		compress:     true,
	}
}

// WithInstanceUUID sets the InstanceUUID reported by both endpoints (the
// reference reports its scheduler's UUID). The default is a random UUID
// chosen by New. A client that sees it change knows that event IDs started
// over.
func WithInstanceUUID(id string) Option {
	return func(c *config) { c.instanceUUID = id }
}

// WithResponseSize sets the batch endpoint's default and largest count
// (event.RESTResponseSize); 0 means DefaultResponseSize.
func WithResponseSize(n uint64) Option {
	return func(c *config) {
		if n == 0 {
			n = DefaultResponseSize
		}
		c.responseSize = n
	}
}

// WithStreamLimits sets how many streams may be open in total
// (event.maxStreams) and per client address (event.maxStreamsPerHost; an
// IPv6 client is counted by its /64 network). 0 refuses every stream, as in
// the reference.
func WithStreamLimits(total, perClient uint64) Option {
	return func(c *config) {
		c.maxStreams, c.maxPerClient = total, perClient
	}
}

// WithConfigMap reads the reference's configuration-map keys
// ConfigKeyRESTResponseSize, ConfigKeyMaxStreams and
// ConfigKeyMaxStreamsPerHost (decimal integers); a missing or unparsable key
// keeps the value set so far (a default or an earlier option), with a warning
// for an unparsable one. A zero response size means the default, as in the
// reference. Options given after it override it.
func WithConfigMap(m map[string]string) Option {
	return func(c *config) {
		limitsFromMap(c.loggerOrDefault(), m, &c.responseSize, &c.maxStreams, &c.maxPerClient)
	}
}

// WithTrustedProxies lists the addresses (IPs or CIDR prefixes such as
// "10.0.0.0/8") of reverse proxies whose X-Forwarded-For header is believed:
// for a request from one of them, the client address used for the per-client
// stream limit is the rightmost X-Forwarded-For entry that is not itself a
// trusted proxy. Requests from anywhere else are keyed by their own address
// and their X-Forwarded-For is ignored. Entries that do not parse are logged
// and skipped. By default no proxy is trusted.
func WithTrustedProxies(addrs ...string) Option {
	return func(c *config) {
		c.trustedProxies = c.trustedProxies[:0]
		for _, a := range addrs {
			a = strings.TrimSpace(a)
			if p, err := netip.ParsePrefix(a); err == nil {
				c.trustedProxies = append(c.trustedProxies, p.Masked())
				continue
			}
			if ip, err := netip.ParseAddr(a); err == nil {
				ip = ip.Unmap()
				c.trustedProxies = append(c.trustedProxies, netip.PrefixFrom(ip, ip.BitLen()))
				continue
			}
			c.loggerOrDefault().Warn("httpapi: ignoring unparsable trusted proxy", slog.String("address", a))
		}
	}
}

// WithAllowedOrigins lists the origins (such as "https://ui.example.com")
// that browsers may read the endpoints from across origins: for a request
// whose Origin is listed, the response carries
// Access-Control-Allow-Origin with that origin and
// Access-Control-Allow-Credentials: true (and Vary: Origin). "*" allows every
// origin, as the reference does, but without credentials (browsers refuse
// the combination); it must be asked for explicitly. By default no
// cross-origin access is granted.
func WithAllowedOrigins(origins ...string) Option {
	return func(c *config) {
		c.allowedOrigins = make(map[string]bool, len(origins))
		c.anyOrigin = false
		for _, o := range origins {
			if o == "*" {
				c.anyOrigin = true
				continue
			}
			c.allowedOrigins[strings.TrimRight(o, "/")] = true
		}
	}
}

// WithWriteTimeout sets the deadline of each write to a stream, and of each
// part (up to 32 KiB) of a batch response; a client that does not take the
// bytes in time is dropped. It replaces the server's WriteTimeout for these
// responses. 0 or negative means DefaultWriteTimeout.
func WithWriteTimeout(d time.Duration) Option {
	return func(c *config) {
		if d <= 0 {
			d = DefaultWriteTimeout
		}
		c.writeTimeout = d
	}
}

// WithKeepAlive sets how long an SSE stream may be idle before a comment
// line keeps the connection (and any proxy) from timing out. 0 or negative
// means DefaultKeepAlive.
func WithKeepAlive(d time.Duration) Option {
	return func(c *config) {
		if d <= 0 {
			d = DefaultKeepAlive
		}
		c.keepAlive = d
	}
}

// WithRetry sets the reconnection delay that SSE streams ask their clients
// to wait (the "retry:" field). 0 or negative means DefaultRetry.
func WithRetry(d time.Duration) Option {
	return func(c *config) {
		if d <= 0 {
			d = DefaultRetry
		}
		c.retry = d
	}
}

// WithCompression turns gzip compression of batch responses on or off. It is
// on by default: a response of at least 1400 bytes is compressed when the
// request accepts gzip, as the reference's webservice does.
func WithCompression(on bool) Option {
	return func(c *config) { c.compress = on }
}

// WithLogger sets the logger; nil means slog.Default().
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.logger = l }
}

func (c *config) loggerOrDefault() *slog.Logger {
	if c.logger == nil {
		return slog.Default()
	}
	return c.logger
}

// limitsFromMap reads the reference's keys from m into the given values: a
// missing key leaves its value, an unparsable one leaves it and logs the
// value left.
func limitsFromMap(log *slog.Logger, m map[string]string, responseSize, maxStreams, maxPerClient *uint64) {
	read := func(key string, dst *uint64, zeroIsDefault uint64) {
		s, ok := m[key]
		if !ok {
			return
		}
		v, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
		if err != nil {
			// *dst is what is in use: the value set so far for New, the
			// default for Reconfigure (as in the reference).
			log.Warn("httpapi: config value unparsable, ignored",
				slog.String("key", key), slog.String("value", s), slog.Uint64("using", *dst), slog.Any("error", err))
			return
		}
		if v == 0 && zeroIsDefault != 0 {
			log.Warn("httpapi: config value zero, using the default",
				slog.String("key", key), slog.Uint64("default", zeroIsDefault))
			v = zeroIsDefault
		}
		*dst = v
	}
	read(ConfigKeyRESTResponseSize, responseSize, DefaultResponseSize)
	read(ConfigKeyMaxStreams, maxStreams, 0)
	read(ConfigKeyMaxStreamsPerHost, maxPerClient, 0)
}
