package sim

import (
	"bytes"
	"io"
	"math"
	"net/http"
	"strconv"

	"github.com/tidwall/gjson"
)

// readJSON reads and parses the request body. An empty body is a null
// result. The error messages here are simulator wording.
func (s *Server) readJSON(r *http.Request) (gjson.Result, *apiError) {
	if r.Body == nil {
		return gjson.Result{}, nil
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, s.opts.MaxBodyBytes+1))
	if err != nil {
		return gjson.Result{}, errorf(http.StatusBadRequest, "parameter_invalid", "Could not read the request body")
	}
	if int64(len(data)) > s.opts.MaxBodyBytes {
		return gjson.Result{}, errorf(http.StatusBadRequest, "parameter_invalid", "Request body exceeds %d bytes", s.opts.MaxBodyBytes)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return gjson.Result{}, nil
	}
	if !gjson.ValidBytes(data) {
		return gjson.Result{}, errorf(http.StatusBadRequest, "parameter_invalid", "Request body is not valid JSON")
	}
	return gjson.ParseBytes(data), nil
}

// fields is a JSON object's members: values by key (the last duplicate
// wins, as in most JSON decoders) and keys in body order.
type fields struct {
	order  []string
	values map[string]gjson.Result
}

func objectFields(v gjson.Result) (fields, bool) {
	f := fields{values: map[string]gjson.Result{}}
	if !v.IsObject() {
		return f, false
	}
	v.ForEach(func(key, value gjson.Result) bool {
		k := key.String()
		if _, dup := f.values[k]; !dup {
			f.order = append(f.order, k)
		}
		f.values[k] = value
		return true
	})
	return f, true
}

func (f fields) has(key string) bool {
	_, ok := f.values[key]
	return ok
}

// typeError is the simulator's wording for a value of the wrong JSON type.
func typeError(field, want string) *apiError {
	return errorf(http.StatusBadRequest, "parameter_invalid", "%s must be %s", field, want)
}

// optString returns a string or null member; set reports whether the key
// was present.
func (f fields) optString(key string) (value *string, set bool, e *apiError) {
	v, ok := f.values[key]
	if !ok {
		return nil, false, nil
	}
	switch v.Type {
	case gjson.Null:
		return nil, true, nil
	case gjson.String:
		s := v.Str
		return &s, true, nil
	}
	return nil, true, typeError(key, "a string or null")
}

// optInt returns an integer or null member. A number with a fraction is
// rejected unless truncate is set, in which case it is cut toward zero.
func (f fields) optInt(key string, truncate bool) (value *int64, set bool, e *apiError) {
	v, ok := f.values[key]
	if !ok {
		return nil, false, nil
	}
	switch v.Type {
	case gjson.Null:
		return nil, true, nil
	case gjson.Number:
		n, ok := jsonInteger(v, truncate)
		if !ok {
			return nil, true, typeError(key, "an integer")
		}
		return &n, true, nil
	}
	return nil, true, typeError(key, "an integer or null")
}

func jsonInteger(v gjson.Result, truncate bool) (int64, bool) {
	if n, err := strconv.ParseInt(v.Raw, 10, 64); err == nil {
		return n, true
	}
	f := v.Float()
	if math.IsNaN(f) || math.IsInf(f, 0) || f > math.MaxInt64 || f < math.MinInt64 {
		return 0, false
	}
	if f != math.Trunc(f) && !truncate {
		return 0, false
	}
	return int64(f), true
}

// optBool returns a boolean or null member.
func (f fields) optBool(key string) (value *bool, set bool, e *apiError) {
	v, ok := f.values[key]
	if !ok {
		return nil, false, nil
	}
	switch v.Type {
	case gjson.Null:
		return nil, true, nil
	case gjson.True, gjson.False:
		b := v.Bool()
		return &b, true, nil
	}
	return nil, true, typeError(key, "a boolean or null")
}
