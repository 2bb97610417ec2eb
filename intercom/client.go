package intercom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Client sends requests to one Intercom workspace. It is safe for concurrent
// use.
type Client struct {
	cfg   Config
	root  *url.URL
	http  *http.Client
	attrs *attributeCache
}

// New validates cfg, applies the defaults and returns a Client. Every
// configuration error is a *ConfigError.
func New(cfg Config) (*Client, error) {
	cfg, root, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	httpClient := &http.Client{}
	if cfg.HTTPClient != nil {
		copied := *cfg.HTTPClient
		httpClient = &copied
	}
	// Never follow redirects: a redirected request would carry the token to
	// a URL the configuration did not name.
	httpClient.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	// Each attempt has its own context deadline; a client-wide timeout
	// would cut across retries.
	httpClient.Timeout = 0

	c := &Client{cfg: cfg, root: root, http: httpClient}
	c.attrs = newAttributeCache(c)
	return c, nil
}

// BaseURL returns the API root the client sends to.
func (c *Client) BaseURL() string { return c.root.String() }

// ForgetAttributes drops the cached lists of the workspace's data
// attributes, so the next request with custom attributes lists them again.
// Call it after attributes were defined, before replaying events that
// failed for lack of them.
func (c *Client) ForgetAttributes() { c.attrs.forget() }

// RateLimiter returns the limiter that paces this client.
func (c *Client) RateLimiter() *RateLimiter { return c.cfg.RateLimiter }

// Request is one call the mapping plugin asked for.
type Request struct {
	// Method is an HTTP method: GET, POST, PUT or DELETE.
	Method string
	// Path is relative to the API root and may carry a query string, e.g.
	// "/companies?company_id=abc". Query values must be URL-encoded.
	Path string
	// Body is JSON, or nil for no body.
	Body []byte
}

// Response is Intercom's response after any retries.
type Response struct {
	// Status is the HTTP status of the last attempt.
	Status int
	Header http.Header
	// Body is the raw body; it may be empty (202 on /events).
	Body []byte
	// Attempts counts the HTTP attempts of this request, including a resend
	// after an attribute cache refresh. Data attribute calls are not counted
	// here; the Observer receives them.
	Attempts int
	// Dropped lists the custom attributes the "drop" policy removed (and, under
	// "create", null or nested values whose type cannot be inferred).
	Dropped []string
	// Created lists the data attributes the "create" policy defined.
	Created []string
}

var allowedMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch}

// Do sends req and returns Intercom's response.
//
// The error is non-nil only when no HTTP response was obtained
// (*TransportError, wrapping the context's error when ctx ended), when req is
// invalid (wraps ErrInvalidRequest), or when the attribute policy stopped the
// request before sending it (*UndefinedAttributeError,
// *AttributeCreateError). Every HTTP status is a Response with a nil error.
//
// For POST /contacts, PUT /contacts/{id} and POST /companies, the body's
// custom_attributes are checked against the workspace's data attributes and
// the policy is applied. When Intercom still reports "Custom attribute 'x'
// does not exist", the attribute list is refreshed and the policy applied
// once more before one resend.
func (c *Client) Do(ctx context.Context, req Request) (Response, error) {
	target, err := c.validate(req)
	if err != nil {
		return Response{}, err
	}

	model := attributeModel(req.Method, req.Path)
	if model == "" {
		return c.send(ctx, req.Method, target, req.Body)
	}
	return c.doWithAttributes(ctx, req, target, model)
}

func (c *Client) doWithAttributes(ctx context.Context, req Request, target *url.URL, model string) (Response, error) {
	plan, err := c.attrs.apply(ctx, model, req.Body, false)
	if err != nil {
		return Response{}, err
	}
	resp, err := c.send(ctx, req.Method, target, plan.body)
	resp.Dropped, resp.Created = plan.dropped, plan.created
	if err != nil || resp.Status != http.StatusBadRequest || !plan.hasCustom {
		return resp, err
	}
	list, perr := ParseError(resp.Body)
	if perr != nil || len(list.UndefinedAttributes()) == 0 {
		return resp, nil
	}

	c.cfg.Logger.LogAttrs(ctx, slog.LevelWarn, "intercom reported an undefined custom attribute; refreshing the data attribute list and applying the policy once more",
		slog.String("route", RouteOf(req.Method, req.Path)),
		slog.String("model", model),
		slog.Any("names", list.UndefinedAttributes()))
	plan2, err := c.attrs.apply(ctx, model, req.Body, true)
	if err != nil {
		return Response{Attempts: resp.Attempts}, err
	}
	again, err := c.send(ctx, req.Method, target, plan2.body)
	again.Attempts += resp.Attempts
	again.Dropped = mergeNames(plan.dropped, plan2.dropped)
	again.Created = mergeNames(plan.created, plan2.created)
	return again, err
}

func mergeNames(a, b []string) []string {
	out := slices.Clone(a)
	for _, n := range b {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// validate checks req and returns the absolute URL to send it to.
func (c *Client) validate(req Request) (*url.URL, error) {
	if !slices.Contains(allowedMethods, req.Method) {
		return nil, fmt.Errorf("%w: method %q; use GET, POST, PUT, PATCH or DELETE", ErrInvalidRequest, req.Method)
	}
	if !strings.HasPrefix(req.Path, "/") || strings.HasPrefix(req.Path, "//") {
		return nil, fmt.Errorf("%w: path %q must start with a single / and be relative to the API root", ErrInvalidRequest, truncate(req.Path, 80))
	}
	if strings.ContainsAny(req.Path, " \r\n\t#") {
		return nil, fmt.Errorf("%w: path %q contains a space, control character or fragment; URL-encode query values", ErrInvalidRequest, truncate(req.Path, 80))
	}
	ref, err := url.Parse(req.Path)
	if err != nil {
		return nil, fmt.Errorf("%w: path %q: %v", ErrInvalidRequest, truncate(req.Path, 80), err)
	}
	if ref.IsAbs() || ref.Host != "" {
		return nil, fmt.Errorf("%w: path %q names a host; give a path relative to the API root", ErrInvalidRequest, truncate(req.Path, 80))
	}
	if req.Body != nil && !json.Valid(req.Body) {
		return nil, fmt.Errorf("%w: %s %s: body is not valid JSON", ErrInvalidRequest, req.Method, truncate(ref.Path, 80))
	}

	target := *c.root
	target.Path = c.root.Path + ref.Path
	if ref.RawPath != "" {
		target.RawPath = c.root.EscapedPath() + ref.RawPath
	}
	target.RawQuery = ref.RawQuery
	return &target, nil
}

// attributeModel returns the data attribute model whose custom attributes a
// request writes, or "" for requests the policy does not apply to.
func attributeModel(method, path string) string {
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	segments := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case method == http.MethodPost && len(segments) == 1 && segments[0] == "contacts":
		return ModelContact
	case method == http.MethodPut && len(segments) == 2 && segments[0] == "contacts" && segments[1] != "":
		return ModelContact
	case method == http.MethodPost && len(segments) == 1 && segments[0] == "companies":
		return ModelCompany
	}
	return ""
}

// isContextError reports whether err comes from ctx ending.
func isContextError(ctx context.Context, err error) bool {
	return ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded))
}
