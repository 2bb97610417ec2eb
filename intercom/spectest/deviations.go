package spectest

import (
	"fmt"
	"net/http"

	"github.com/getkin/kin-openapi/openapi3"
)

// crossCuttingStatuses are statuses that Intercom documents once for the
// whole API rather than per operation. 401 applies because every operation
// requires bearerAuth. The others come from Intercom's "HTTP responses" and
// "Rate limiting" reference pages: 406 for a missing or unusable Accept
// header, 408, 415, 429 rate_limit_exceeded and the 5xx server errors.
// Each is added to every operation that does not list it, with the
// error.list schema, so these responses are still checked against it.
var crossCuttingStatuses = []string{"401", "406", "408", "415", "429", "500", "502", "503", "504"}

// operationStatus names one undocumented status of one operation.
type operationStatus struct {
	method, path, status string
	reason               string
}

// undocumentedErrors are per-operation error statuses that Intercom returns
// but the 2.10 OpenAPI file does not list. Each response still has to match the
// error.list schema.
var undocumentedErrors = []operationStatus{
	{http.MethodPost, "/contacts", "409",
		"duplicate contact: 'A contact matching those details already exists with id=<id>' and the archived variant; documented in the 2.1-2.6 prose docs and an open change to the OpenAPI file"},
	{http.MethodPut, "/contacts/{id}", "409",
		"update that would duplicate another contact's email or external_id; documented in the 2.6 update-contact prose docs"},
	{http.MethodPost, "/contacts", "400",
		"parameter_invalid 'Custom attribute <name> does not exist' and owner not in workspace; observed and in the 2.1 prose docs"},
	{http.MethodPut, "/contacts/{id}", "400",
		"same 400s as create, plus client_error 'Contact with user role can't be converted to a lead' (2.6 prose docs)"},
	{http.MethodPut, "/contacts/{id}", "404",
		"not_found 'Contact Not Found' (2.6 prose docs)"},
	{http.MethodGet, "/contacts/{id}", "404",
		"not_found for an unknown, merged-away or archived contact (merge description in the OpenAPI file itself)"},
	{http.MethodPost, "/contacts/{id}/archive", "404", "unknown contact"},
	{http.MethodPost, "/contacts/{id}/unarchive", "404", "unknown contact"},
	{http.MethodPost, "/contacts/search", "400",
		"invalid query: the operation's own description says unsupported operators for a field type return an error"},
	{http.MethodPost, "/events", "404",
		"not_found 'User Not Found' for an event whose user does not exist; observed in SDK issue threads"},
}

// applyDeviations patches the loaded document with the documented
// deviations listed in this file. It changes nothing else.
func applyDeviations(doc *openapi3.T) error {
	errorSchema, ok := doc.Components.Schemas["error"]
	if !ok {
		return fmt.Errorf("components.schemas.error is missing")
	}
	errorResponse := func(description string) *openapi3.ResponseRef {
		return &openapi3.ResponseRef{Value: openapi3.NewResponse().
			WithDescription(description).
			WithJSONSchemaRef(errorSchema)}
	}

	for _, d := range undocumentedErrors {
		op, err := operation(doc, d.method, d.path)
		if err != nil {
			return err
		}
		if op.Responses.Value(d.status) != nil {
			return fmt.Errorf("%s %s already documents %s: remove it from the deviation list", d.method, d.path, d.status)
		}
		op.Responses.Set(d.status, errorResponse("Undocumented: "+d.reason))
	}

	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			for _, status := range crossCuttingStatuses {
				if op.Responses.Value(status) == nil {
					op.Responses.Set(status, errorResponse("Documented for the whole API"))
				}
			}
		}
	}

	if err := patchCompanyRetrieve(doc); err != nil {
		return err
	}
	if err := patchScalarMaps(doc); err != nil {
		return err
	}
	return patchTagRequest(doc)
}

// patchCompanyRetrieve lets GET /companies return a single company object.
// The OpenAPI file declares a company_list, but the 1.x-2.4 prose docs show a
// single object for ?company_id= and ?name= lookups, and integrations built
// against 2.10 read .id straight off the response body.
func patchCompanyRetrieve(doc *openapi3.T) error {
	op, err := operation(doc, http.MethodGet, "/companies")
	if err != nil {
		return err
	}
	ok := op.Responses.Value("200")
	if ok == nil || ok.Value == nil {
		return fmt.Errorf("GET /companies has no 200 response")
	}
	media := ok.Value.Content.Get("application/json")
	if media == nil || media.Schema == nil {
		return fmt.Errorf("GET /companies 200 has no JSON schema")
	}
	company, found := doc.Components.Schemas["company"]
	if !found {
		return fmt.Errorf("components.schemas.company is missing")
	}
	list := media.Schema
	media.Schema = openapi3.NewSchemaRef("", &openapi3.Schema{OneOf: openapi3.SchemaRefs{company, list}})
	return nil
}

// patchScalarMaps widens three maps that the OpenAPI file types as
// string-only although its own text and examples use other values:
//   - company.custom_attributes and create_or_update_company_request.custom_attributes:
//     the file's examples use booleans and numbers (paid_subscriber: true,
//     monthly_spend: 155.5), so any JSON scalar is accepted;
//   - create_data_event_request.metadata: the operation's description allows
//     numbers, rich links {url, value} and monetary amounts {amount, currency}.
func patchScalarMaps(doc *openapi3.T) error {
	scalar := &openapi3.Schema{
		Nullable: true,
		AnyOf: openapi3.SchemaRefs{
			openapi3.NewSchemaRef("", openapi3.NewStringSchema()),
			openapi3.NewSchemaRef("", openapi3.NewFloat64Schema()),
			openapi3.NewSchemaRef("", openapi3.NewBoolSchema()),
		},
	}
	for _, name := range []string{"company", "create_or_update_company_request"} {
		prop, err := property(doc, name, "custom_attributes")
		if err != nil {
			return err
		}
		prop.AdditionalProperties = openapi3.AdditionalProperties{Schema: openapi3.NewSchemaRef("", scalar)}
	}

	richLink := openapi3.NewObjectSchema().
		WithProperty("url", openapi3.NewStringSchema()).
		WithProperty("value", openapi3.NewStringSchema())
	richLink.Required = []string{"url", "value"}
	money := openapi3.NewObjectSchema().
		WithProperty("amount", openapi3.NewIntegerSchema()).
		WithProperty("currency", openapi3.NewStringSchema())
	money.Required = []string{"amount", "currency"}
	metadataValue := &openapi3.Schema{AnyOf: openapi3.SchemaRefs{
		openapi3.NewSchemaRef("", openapi3.NewStringSchema()),
		openapi3.NewSchemaRef("", openapi3.NewFloat64Schema()),
		openapi3.NewSchemaRef("", richLink),
		openapi3.NewSchemaRef("", money),
	}}
	prop, err := property(doc, "create_data_event_request", "metadata")
	if err != nil {
		return err
	}
	prop.AdditionalProperties = openapi3.AdditionalProperties{Schema: openapi3.NewSchemaRef("", metadataValue)}
	return nil
}

// patchTagRequest turns the oneOf of POST /tags request bodies into anyOf.
// The four alternatives do not exclude each other: {"name", "companies"}
// matches the tag-companies, untag-companies and create-tag schemas at once,
// so no body that tags companies could pass a oneOf.
func patchTagRequest(doc *openapi3.T) error {
	op, err := operation(doc, http.MethodPost, "/tags")
	if err != nil {
		return err
	}
	if op.RequestBody == nil || op.RequestBody.Value == nil {
		return fmt.Errorf("POST /tags has no request body")
	}
	media := op.RequestBody.Value.Content.Get("application/json")
	if media == nil || media.Schema == nil || media.Schema.Value == nil || len(media.Schema.Value.OneOf) == 0 {
		return fmt.Errorf("POST /tags request body is no longer a oneOf: remove this deviation")
	}
	alternatives := media.Schema.Value.OneOf
	media.Schema = openapi3.NewSchemaRef("", &openapi3.Schema{AnyOf: alternatives})
	return nil
}

func operation(doc *openapi3.T, method, path string) (*openapi3.Operation, error) {
	item := doc.Paths.Value(path)
	if item == nil {
		return nil, fmt.Errorf("path %s is missing", path)
	}
	op := item.GetOperation(method)
	if op == nil {
		return nil, fmt.Errorf("operation %s %s is missing", method, path)
	}
	if op.Responses == nil {
		op.Responses = openapi3.NewResponsesWithCapacity(0)
	}
	return op, nil
}

func property(doc *openapi3.T, schema, name string) (*openapi3.Schema, error) {
	ref, ok := doc.Components.Schemas[schema]
	if !ok || ref.Value == nil {
		return nil, fmt.Errorf("components.schemas.%s is missing", schema)
	}
	prop, ok := ref.Value.Properties[name]
	if !ok || prop.Value == nil {
		return nil, fmt.Errorf("components.schemas.%s.%s is missing", schema, name)
	}
	return prop.Value, nil
}

// addMissingSchemas defines components.schemas.custom_attributes, which the
// 2.10 file refers to (from create_phone_switch_request) but never defines.
// Without it no reference in the file can be resolved. The definition is a
// plain object, which is what the reference's name and context describe.
func addMissingSchemas(doc *openapi3.T) error {
	if doc.Components == nil {
		return fmt.Errorf("the document has no components")
	}
	if _, ok := doc.Components.Schemas["custom_attributes"]; ok {
		return fmt.Errorf("components.schemas.custom_attributes is now defined: remove addMissingSchemas")
	}
	doc.Components.Schemas["custom_attributes"] = openapi3.NewSchemaRef("", openapi3.NewObjectSchema())
	return nil
}
