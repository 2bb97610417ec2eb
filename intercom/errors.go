package intercom

import (
	"errors"
	"fmt"
	"strings"
)

// ConfigError reports an invalid Config field. Value is empty for secret
// fields such as the token.
type ConfigError struct {
	Field  string
	Value  string
	Reason string
}

func (e *ConfigError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("intercom: invalid config %s: %s", e.Field, e.Reason)
	}
	return fmt.Sprintf("intercom: invalid config %s %q: %s", e.Field, e.Value, e.Reason)
}

// ErrInvalidRequest is wrapped by Do's error for a Request that cannot be
// sent: an empty or unknown method, a path that is not relative to the API
// root, or a body that is not JSON.
var ErrInvalidRequest = errors.New("invalid Intercom request")

// UndefinedAttributeError is returned by Do under the "reject" attribute
// policy when the body sets custom attributes that the workspace does not
// define. Nothing was sent.
type UndefinedAttributeError struct {
	// Model is "contact" or "company".
	Model string
	// Names lists every undefined attribute, in body order.
	Names []string
}

func (e *UndefinedAttributeError) Error() string {
	quoted := make([]string, len(e.Names))
	for i, n := range e.Names {
		quoted[i] = fmt.Sprintf("%q", n)
	}
	return fmt.Sprintf("intercom: custom attributes %s are not defined for model %s in the Intercom workspace; "+
		"define them in Intercom (Settings > Data > %s data) or with POST /data_attributes "+
		"(model %q), or set the destination setting customAttributePolicy to \"drop\" or \"create\"",
		strings.Join(quoted, ", "), e.Model, modelLabel(e.Model), e.Model)
}

func modelLabel(model string) string {
	if model == ModelCompany {
		return "Company"
	}
	return "People"
}

// AttributeCreateError is returned by Do under the "create" attribute policy
// when Intercom did not create a data attribute. The original request was not
// sent. Status and Message come from Intercom's response to
// POST /data_attributes.
type AttributeCreateError struct {
	Model    string
	Name     string
	DataType string
	Status   int
	Message  string
}

func (e *AttributeCreateError) Error() string {
	return fmt.Sprintf("intercom: create data attribute %q (model %s, type %s) failed with status %d: %s; "+
		"define it in the Intercom workspace or set the destination setting customAttributePolicy to \"drop\"",
		e.Name, e.Model, e.DataType, e.Status, e.Message)
}

// TransportError is returned by Do when no HTTP response was obtained after
// all attempts, for example on connection errors or per-attempt timeouts.
type TransportError struct {
	Method   string
	Path     string
	Attempts int
	Err      error
}

func (e *TransportError) Error() string {
	return fmt.Sprintf("intercom: %s %s: no response after %d attempt(s): %v", e.Method, e.Path, e.Attempts, e.Err)
}

func (e *TransportError) Unwrap() error { return e.Err }
