package sim

import (
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// acceptsJSON reports whether the Accept header allows application/json.
// A missing header is rejected, as Intercom does; */* and application/* are
// accepted.
func acceptsJSON(h http.Header) bool {
	for _, value := range h.Values("Accept") {
		for _, part := range strings.Split(value, ",") {
			mediaType, _, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil {
				continue
			}
			switch mediaType {
			case "application/json", "application/*", "*/*":
				return true
			}
		}
	}
	return false
}

// authenticate returns the request's bearer token, or the 401 to send and,
// for a region mismatch, a reason for the X-Sim-Reason header.
func (s *Server) authenticate(h http.Header) (string, *apiError, string) {
	token, ok := strings.CutPrefix(h.Get("Authorization"), "Bearer ")
	token = strings.TrimSpace(token)
	if !ok || token == "" {
		return "", errUnauthorized, ""
	}
	if len(s.opts.Tokens) == 0 {
		return token, nil, ""
	}
	region, known := s.opts.Tokens[token]
	if !known {
		return "", errUnauthorized, ""
	}
	region = normalizeRegion(region, s.opts.Region)
	if region != s.opts.Region {
		// Modelling choice: a token of another region is unknown here.
		return "", &apiError{status: http.StatusUnauthorized, code: "token_not_found", message: "Token not found"},
			"simulator: the token belongs to region " + region + " but this simulator serves region " + s.opts.Region
	}
	return token, nil, ""
}

// intercomVersions are the values the Intercom-Version header may take in
// the 2.10 OpenAPI file.
var intercomVersions = []string{"1.0", "1.1", "1.2", "1.3", "1.4", "2.0", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7", "2.8", "2.9", "2.10"}

// checkVersion rejects an Intercom-Version that is not a known version. A
// missing header means the app's default version; every known version is
// served with 2.10 behaviour.
func checkVersion(h http.Header) *apiError {
	v := h.Get("Intercom-Version")
	if v == "" || slices.Contains(intercomVersions, v) {
		return nil
	}
	// Simulator wording: the code is Intercom's, the message is not documented.
	return errorf(http.StatusBadRequest, "intercom_version_invalid", "Intercom-Version %s is not a valid version", strconv.Quote(v))
}

// checkContentType rejects a request body that is not declared JSON.
func checkContentType(r *http.Request) *apiError {
	if r.ContentLength == 0 || r.Method == http.MethodGet || r.Method == http.MethodDelete {
		return nil
	}
	mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err == nil && mediaType == "application/json" {
		return nil
	}
	// Simulator wording: Intercom lists 415 without documenting its body.
	return errorf(http.StatusUnsupportedMediaType, "unsupported_media_type", "The Content-Type header should send a media type of application/json")
}
