package spectest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// officialHost is the host that requests are mapped to before routing, so a
// request sent to a loopback simulator matches the document's servers. The
// string is only used for matching and is never dialled.
const officialHost = "api.intercom.io"

// Validator checks requests and responses against the patched OpenAPI
// document. It is safe for concurrent use.
type Validator struct {
	doc    *openapi3.T
	router routers.Router
}

// Exchange is one request and, when one was received, its response, with
// both bodies already read.
type Exchange struct {
	Method string
	// URL is the request URL as sent (any host). Prefix is stripped from its
	// path before routing, for a simulator mounted below the root.
	URL         *url.URL
	Prefix      string
	Header      http.Header
	Body        []byte
	Status      int
	RespHeader  http.Header
	RespBody    []byte
	HasResponse bool
}

// ErrNoRoute is wrapped by the error for a request whose method and path the
// document does not describe.
var ErrNoRoute = errors.New("no operation in the OpenAPI file")

// ValidateRequest checks the request of ex: the operation exists, its path,
// query and header parameters, the bearer token's presence, and the JSON body.
func (v *Validator) ValidateRequest(ctx context.Context, ex Exchange) error {
	input, err := v.requestInput(ctx, ex)
	if err != nil {
		return err
	}
	if err := openapi3filter.ValidateRequest(ctx, input); err != nil {
		return fmt.Errorf("request %s %s: %w", ex.Method, ex.URL.Path, err)
	}
	return nil
}

// ValidateResponse checks the response of ex: its status must be documented
// for the operation (after the deviations of this package) and its body must
// match that status's schema.
func (v *Validator) ValidateResponse(ctx context.Context, ex Exchange) error {
	if !ex.HasResponse {
		return fmt.Errorf("response to %s %s: no response to validate", ex.Method, ex.URL.Path)
	}
	input, err := v.requestInput(ctx, ex)
	if err != nil {
		return err
	}
	rin := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: input,
		Status:                 ex.Status,
		Header:                 ex.RespHeader,
		Body:                   io.NopCloser(bytes.NewReader(ex.RespBody)),
		Options:                input.Options,
	}
	if err := openapi3filter.ValidateResponse(ctx, rin); err != nil {
		return fmt.Errorf("response %d to %s %s: %w", ex.Status, ex.Method, ex.URL.Path, err)
	}
	return nil
}

func (v *Validator) requestInput(ctx context.Context, ex Exchange) (*openapi3filter.RequestValidationInput, error) {
	mapped := *ex.URL
	mapped.Scheme = "https"
	mapped.Host = officialHost
	mapped.Path = strings.TrimPrefix(ex.URL.Path, ex.Prefix)
	if ex.URL.RawPath != "" {
		mapped.RawPath = strings.TrimPrefix(ex.URL.RawPath, ex.Prefix)
	}

	req, err := http.NewRequestWithContext(ctx, ex.Method, mapped.String(), bytes.NewReader(ex.Body))
	if err != nil {
		return nil, fmt.Errorf("request %s %s: rebuild for validation: %w", ex.Method, ex.URL.Path, err)
	}
	req.Header = ex.Header.Clone()
	if req.Header == nil {
		req.Header = http.Header{}
	}

	route, params, err := v.router.FindRoute(req)
	if err != nil {
		return nil, fmt.Errorf("request %s %s: %w: %v", ex.Method, mapped.Path, ErrNoRoute, err)
	}
	return &openapi3filter.RequestValidationInput{
		Request:    req,
		PathParams: params,
		Route:      route,
		Options: &openapi3filter.Options{
			IncludeResponseStatus: true,
			MultiError:            true,
			AuthenticationFunc:    requireBearer,
		},
	}, nil
}

// requireBearer accepts a request whose Authorization header carries a
// non-empty bearer token. The token itself is never put in an error.
func requireBearer(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if in.SecurityScheme == nil || in.SecurityScheme.Type != "http" || !strings.EqualFold(in.SecurityScheme.Scheme, "bearer") {
		return fmt.Errorf("security scheme %q is not supported by this validator", in.SecuritySchemeName)
	}
	header := in.RequestValidationInput.Request.Header.Get("Authorization")
	token, found := strings.CutPrefix(header, "Bearer ")
	if !found || strings.TrimSpace(token) == "" {
		return errors.New("missing bearer token in the Authorization header")
	}
	return nil
}
