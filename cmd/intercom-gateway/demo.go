package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/intercom-gateway/gateway/config"
	"github.com/intercom-gateway/gateway/gateway"
	"github.com/intercom-gateway/gateway/intercom/sim"
	"github.com/intercom-gateway/gateway/mapping"
)

// demoEvents are sent in order, each after the previous one was delivered,
// so the group finds the contact the identify created.
var demoEvents = []struct{ route, title, body string }{
	{"/v1/identify", "identify from the migration guide (lookup by phone, nested address)", `{
		"userId": "alex98",
		"traits": {"name": "Alex Keener", "createdAt": "2024-01-05T19:11:00.337Z", "email": "alex@example.com",
			"phone": "+800 555-0100", "address": {"city": "New Orleans", "state": "Louisiana"}, "plan": "enterprise"},
		"integrations": {"INTERCOM": {"lookup": "phone"}}}`},
	{"/v1/track", "track of an order", `{
		"userId": "alex98", "event": "Order Completed", "timestamp": "2024-01-06T10:00:00Z",
		"properties": {"order_id": "o-1001", "price": {"amount": 34999, "currency": "usd"}, "items": ["keyboard", "mouse"]}}`},
	{"/v1/group", "group: the company, with the contact attached and tagged", `{
		"userId": "alex98", "groupId": "keener-labs",
		"traits": {"name": "Keener Labs", "plan": "growth", "size": 12, "industry": "Software", "tags": ["demo"]},
		"context": {"traits": {"email": "alex@example.com"}}}`},
	{"/v1/identify", "identify with a custom attribute the workspace does not define", `{
		"userId": "sam42",
		"traits": {"email": "sam@example.com", "name": "Sam Rivera", "favourite_colour": "teal"}}`},
}

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlagSet("demo", "demo [flags]", stderr)
	pluginPath := fs.String("plugin", config.DefaultPlugin, "mapping plugin file (build it with make plugin)")
	logLevel := fs.String("log-level", "", "log level: debug, info, warn or error (default: no logs, the demo prints what happens)")
	if err := parseFlags(fs, args); err != nil {
		return exitUsageConfig, err
	}
	logOut, level := stderr, *logLevel
	if level == "" {
		logOut, level = io.Discard, "error"
	}
	log, err := newLogger(logOut, level)
	if err != nil {
		return exitUsageConfig, err
	}

	// The simulated workspace defines the attributes the migration guide
	// tells teams to create first, and not favourite_colour.
	server, err := sim.New(sim.Options{Logger: log, Seed: 42, DataAttributes: []sim.DataAttributeSeed{
		{Model: "contact", Name: "address_city", DataType: "string"},
		{Model: "contact", Name: "address_state", DataType: "string"},
		{Model: "contact", Name: "plan", DataType: "string"},
	}})
	if err != nil {
		return exitUsageConfig, usageError{err}
	}
	intercomSim, err := server.Start("127.0.0.1:0")
	if err != nil {
		return exitUsageConfig, err
	}
	defer intercomSim.Close(context.WithoutCancel(ctx))

	dataDir, err := os.MkdirTemp("", "intercom-gateway-demo-")
	if err != nil {
		return exitNotAllSent, err
	}
	defer os.RemoveAll(dataDir)
	// The demo talks only to its own simulator on loopback, so it accepts
	// an unsigned development build of the plugin.
	cfg, err := config.Parse([]byte(fmt.Sprintf(`{"plugin":%q,"dataDir":%q,"workers":2,"plugins":{"allowUnsigned":true},"destinations":[{"name":"demo","writeKeys":["demo-write-key"],
		"apiKey":"demo-token","baseURL":%q,"settings":{"apiServer":"standard"}}]}`, *pluginPath, dataDir, intercomSim.URL)),
		func(string) (string, bool) { return "", false })
	if err != nil {
		return exitUsageConfig, usageError{err}
	}
	delivered := make(chan gateway.Delivery, len(demoEvents))
	g, err := gateway.New(ctx, cfg, gateway.Options{Logger: log, OnDelivery: func(d gateway.Delivery) { delivered <- d }})
	if err != nil {
		return exitUsageConfig, usageError{err}
	}
	defer g.Close(context.WithoutCancel(ctx))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return exitNotAllSent, err
	}
	srv := &http.Server{Handler: g.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	go g.Run(runCtx)
	gatewayURL := "http://" + ln.Addr().String()

	fmt.Fprintf(stdout, "Intercom simulator: %s\nGateway ingestion API: %s (write key demo-write-key)\n\n", intercomSim.URL, gatewayURL)
	for i, e := range demoEvents {
		fmt.Fprintf(stdout, "%d. POST %s: %s\n", i+1, e.route, e.title)
		if err := postEvent(ctx, gatewayURL+e.route, e.body); err != nil {
			return exitNotAllSent, err
		}
		select {
		case d := <-delivered:
			fmt.Fprintf(stdout, "   → %s: %s\n", d.Result.Outcome, d.Result.Message)
			for _, c := range d.Result.Calls {
				fmt.Fprintf(stdout, "     %s %s → %s\n", c.Request.Method, c.Request.Path, answerSummary(c.Response))
			}
		case <-time.After(30 * time.Second):
			return exitNotAllSent, fmt.Errorf("event %d was not delivered within 30 s", i+1)
		case <-ctx.Done():
			return exitNotAllSent, ctx.Err()
		}
	}

	fmt.Fprintln(stdout, "\nWhat Intercom now holds:")
	printSimState(stdout, server.State())
	return exitOK, nil
}

func postEvent(ctx context.Context, url, body string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewBufferString(body))
	if err != nil {
		return err
	}
	req.SetBasicAuth("demo-write-key", "")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("post %s: %w", url, err)
	}
	defer resp.Body.Close()
	reply, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("post %s: the gateway responded %d %s", url, resp.StatusCode, reply)
	}
	return nil
}

func printSimState(w io.Writer, state sim.State) {
	for _, c := range state.Contacts {
		custom, _ := json.Marshal(c.CustomAttributes)
		fmt.Fprintf(w, "  contact %s: external_id=%s email=%s phone=%q name=%q\n    custom_attributes=%s companies=%v\n",
			c.ID, c.ExternalID, c.Email, c.Phone, c.Name, custom, c.CompanyIDs)
	}
	for _, co := range state.Companies {
		data, _ := json.Marshal(co)
		fmt.Fprintf(w, "  company %s\n", data)
	}
	for _, e := range state.Events {
		data, _ := json.Marshal(e)
		fmt.Fprintf(w, "  event %s\n", data)
	}
}

// answerSummary returns Intercom's status, or a note that the gateway made
// the response itself without sending the request.
func answerSummary(r mapping.Response) string {
	switch {
	case r.Status != 0 && r.Error != "":
		return "not sent (" + r.Error + ")"
	case r.Status == 0:
		return "no response (" + r.Error + ")"
	}
	return fmt.Sprint(r.Status)
}
