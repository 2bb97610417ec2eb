package intercom

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Version is the gateway version used in the default User-Agent.
const Version = "0.1.0"

// DefaultUserAgent is sent when Config.UserAgent is empty.
const DefaultUserAgent = "intercom-gateway/" + Version

// APIVersion is the Intercom-Version header value sent on every request.
const APIVersion = "2.10"

// Attribute policies for custom attributes that the workspace does not define.
const (
	// PolicyReject stops the request with *UndefinedAttributeError.
	PolicyReject = "reject"
	// PolicyDrop removes the undefined attributes and sends the rest.
	PolicyDrop = "drop"
	// PolicyCreate defines each attribute with POST /data_attributes first.
	PolicyCreate = "create"
)

// Defaults applied by New.
const (
	DefaultTimeout           = 10 * time.Second
	DefaultMaxRetries        = 3
	DefaultRetryBaseDelay    = 250 * time.Millisecond
	DefaultRetryMaxDelay     = 8 * time.Second
	DefaultAttributeCacheTTL = 5 * time.Minute
	// DefaultAttributeRecheck is the minimum age of the attribute cache
	// before an unknown name triggers a refresh ahead of the TTL.
	DefaultAttributeRecheck = 30 * time.Second
	// DefaultMaxResponseBytes bounds the response body kept in memory.
	DefaultMaxResponseBytes = 8 << 20
)

// maxRetryAfter bounds a Retry-After header's influence on back-off.
const maxRetryAfter = time.Minute

// Config configures a Client. Only Token is required.
type Config struct {
	// Token is the Intercom access token. It is never logged and never
	// appears in an error message.
	Token string
	// Region selects the API root: "standard" or "us" (also the empty
	// string), "eu" or "au". See BaseURL.
	Region string
	// BaseURL overrides Region, for simulators and tests, e.g.
	// "http://127.0.0.1:8080". It must be an absolute http or https URL.
	BaseURL string
	// UserAgent defaults to DefaultUserAgent.
	UserAgent string
	// HTTPClient sends the requests; nil means a client with Go's default
	// transport. Redirects are never followed, whatever the client's policy,
	// so the token cannot be forwarded to another host.
	HTTPClient *http.Client
	// Timeout bounds each attempt, including reading the body; default 10s.
	Timeout time.Duration
	// MaxRetries bounds the retries after the first attempt for 408, 429,
	// 5xx and network errors. 0 means the default (3); a negative value
	// disables retries.
	MaxRetries int
	// RetryBaseDelay and RetryMaxDelay shape the exponential back-off:
	// the n-th retry waits between half and all of min(base*2^(n-1), max).
	// Defaults 250ms and 8s.
	RetryBaseDelay time.Duration
	RetryMaxDelay  time.Duration
	// AttributePolicy is "reject" (default), "drop" or "create".
	AttributePolicy string
	// AttributeCacheTTL is how long the data attribute lists are cached;
	// default 5 minutes.
	AttributeCacheTTL time.Duration
	// Clock is the time source for waits; nil means real time.
	Clock Clock
	// Jitter returns a random duration in [0, max). nil means a
	// pseudo-random source; tests pass a deterministic one.
	Jitter func(max time.Duration) time.Duration
	// RateLimiter paces the requests; nil means the limiter shared by every
	// Client of the same token and API root in the process.
	RateLimiter *RateLimiter
	// Observer receives counters; nil means none.
	Observer Observer
	// Logger receives retry, wait and policy logs; nil means slog.Default().
	Logger *slog.Logger
	// MaxResponseBytes bounds a response body; default 8 MiB. A longer body
	// fails the attempt.
	MaxResponseBytes int64
}

func (cfg Config) withDefaults() (Config, *url.URL, error) {
	if strings.TrimSpace(cfg.Token) == "" {
		return cfg, nil, &ConfigError{Field: "Token", Reason: "missing access token; set the destination's apiKey"}
	}
	if strings.ContainsAny(cfg.Token, "\r\n\t ") {
		return cfg, nil, &ConfigError{Field: "Token", Reason: "access token contains whitespace; copy it again without spaces or line breaks"}
	}

	base := cfg.BaseURL
	if base == "" {
		var err error
		if base, err = BaseURL(cfg.Region); err != nil {
			return cfg, nil, err
		}
	}
	root, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil || (root.Scheme != "http" && root.Scheme != "https") || root.Host == "" || root.RawQuery != "" || root.Fragment != "" {
		return cfg, nil, &ConfigError{Field: "BaseURL", Value: base, Reason: "want an absolute http or https URL without query, e.g. http://127.0.0.1:8080"}
	}
	if root.User != nil {
		return cfg, nil, &ConfigError{Field: "BaseURL", Value: root.Redacted(), Reason: "must not contain user information; pass the token in Token"}
	}

	switch cfg.AttributePolicy {
	case "":
		cfg.AttributePolicy = PolicyReject
	case PolicyReject, PolicyDrop, PolicyCreate:
	default:
		return cfg, nil, &ConfigError{Field: "AttributePolicy", Value: cfg.AttributePolicy, Reason: fmt.Sprintf("want %q, %q or %q", PolicyReject, PolicyDrop, PolicyCreate)}
	}

	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent
	}
	if strings.ContainsAny(cfg.UserAgent, "\r\n") {
		return cfg, nil, &ConfigError{Field: "UserAgent", Value: cfg.UserAgent, Reason: "contains a line break"}
	}
	if cfg.Timeout < 0 || cfg.RetryBaseDelay < 0 || cfg.RetryMaxDelay < 0 || cfg.AttributeCacheTTL < 0 || cfg.MaxResponseBytes < 0 {
		return cfg, nil, &ConfigError{Field: "Timeout, RetryBaseDelay, RetryMaxDelay, AttributeCacheTTL or MaxResponseBytes", Reason: "must not be negative"}
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	switch {
	case cfg.MaxRetries == 0:
		cfg.MaxRetries = DefaultMaxRetries
	case cfg.MaxRetries < 0:
		cfg.MaxRetries = 0
	}
	if cfg.RetryBaseDelay == 0 {
		cfg.RetryBaseDelay = DefaultRetryBaseDelay
	}
	if cfg.RetryMaxDelay == 0 {
		cfg.RetryMaxDelay = DefaultRetryMaxDelay
	}
	if cfg.AttributeCacheTTL == 0 {
		cfg.AttributeCacheTTL = DefaultAttributeCacheTTL
	}
	if cfg.MaxResponseBytes == 0 {
		cfg.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if cfg.Clock == nil {
		cfg.Clock = realClock{}
	}
	if cfg.Jitter == nil {
		cfg.Jitter = randomJitter
	}
	if cfg.Observer == nil {
		cfg.Observer = ObserverFuncs{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.RateLimiter == nil {
		cfg.RateLimiter = sharedRateLimiter(root.String(), cfg.Token)
	}
	return cfg, root, nil
}
