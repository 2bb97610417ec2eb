package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

const adminUsage = `admin [flags] <action> [arguments]

Actions, sent to a running gateway's admin API:
  queue                          queue depth, oldest pending age, dead letters, paused destinations
  deadletters                    list dead letters (filters: -destination, -outcome, -message-id, -limit)
  deadletter ID                  show one dead letter with its event, result and plugin
  replay                         replay dead letters (one of -id, -message-id, -destination, -outcome, or -all)
  pause DESTINATION              stop delivering to a destination; its events wait
  resume DESTINATION             deliver to a paused destination again
  plugin                         the plugin in use, the previous one and the recent swaps
  swap MODULE                    verify MODULE (signed by MODULE.sig, or -sha256) and swap it in (-accept-differences)
  rollback                       return to the plugin in use before the last swap
`

func runAdmin(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlagSet("admin", adminUsage, stderr)
	baseURL := fs.String("url", "http://127.0.0.1:8080", "the gateway's address")
	tokenEnv := fs.String("token-env", "INTERCOM_GATEWAY_ADMIN_TOKEN", "environment variable holding the admin token")
	destination := fs.String("destination", "", "dead letters of this destination only")
	outcome := fs.String("outcome", "", "dead letters with this outcome only (rejected, invalid_event, retrying)")
	messageID := fs.String("message-id", "", "the dead letter of this messageId")
	id := fs.String("id", "", "the dead letter with this id")
	all := fs.Bool("all", false, "with replay: replay every dead letter")
	limit := fs.Int("limit", 100, "with deadletters: list at most this many")
	pinned := fs.String("sha256", "", "with swap: the module's expected sha256, instead of a signature")
	acceptDifferences := fs.Bool("accept-differences", false, "with swap: swap even when the self-test outputs differ from the plugin in use")
	if err := parseFlags(fs, args); err != nil {
		return exitUsageConfig, err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return exitUsageConfig, usagef("missing action")
	}
	// Flags may also follow the action: admin replay -outcome rejected.
	action := fs.Arg(0)
	if err := parseFlags(fs, fs.Args()[1:]); err != nil {
		return exitUsageConfig, err
	}
	rest := fs.Args()
	token := os.Getenv(*tokenEnv)
	if token == "" {
		return exitUsageConfig, usagef("environment variable %s is empty; export the gateway's admin token in it, or name the variable that holds it with -token-env", *tokenEnv)
	}
	filter := url.Values{}
	for k, v := range map[string]string{"destination": *destination, "outcome": *outcome, "messageId": *messageID, "id": *id} {
		if v != "" {
			filter.Set(k, v)
		}
	}

	var method, path string
	switch action {
	case "queue":
		method, path = http.MethodGet, "/admin/queue"
	case "deadletters":
		filter.Set("limit", fmt.Sprint(*limit))
		method, path = http.MethodGet, "/admin/deadletters?"+filter.Encode()
	case "deadletter":
		if len(rest) != 1 {
			return exitUsageConfig, usagef("deadletter takes one id")
		}
		method, path = http.MethodGet, "/admin/deadletters/"+url.PathEscape(rest[0])
	case "replay":
		if *all {
			filter.Set("all", "true")
		}
		if len(filter) == 0 {
			return exitUsageConfig, usagef("replay needs -id, -message-id, -destination, -outcome or -all")
		}
		method, path = http.MethodPost, "/admin/deadletters/replay?"+filter.Encode()
	case "pause", "resume":
		if len(rest) != 1 {
			return exitUsageConfig, usagef("%s takes one destination name", action)
		}
		method, path = http.MethodPost, "/admin/destinations/"+url.PathEscape(rest[0])+"/"+action
	case "plugin":
		method, path = http.MethodGet, "/admin/plugin"
	case "rollback":
		method, path = http.MethodPost, "/admin/plugin/rollback"
	case "swap":
		if len(rest) != 1 {
			return exitUsageConfig, usagef("swap takes one module file")
		}
		return swapPlugin(ctx, strings.TrimRight(*baseURL, "/"), token, rest[0], *pinned, *acceptDifferences, stdout)
	default:
		return exitUsageConfig, usagef("unknown admin action %q; see intercom-gateway admin -h", action)
	}
	return callAdmin(ctx, method, strings.TrimRight(*baseURL, "/")+path, token, stdout, nil, nil)
}

// swapPlugin uploads a module with its signature file, if there is one.
func swapPlugin(ctx context.Context, baseURL, token, module, pinned string, accept bool, stdout io.Writer) (int, error) {
	data, err := os.ReadFile(module)
	if err != nil {
		return exitUsageConfig, usagef("read the module: %w", err)
	}
	header := http.Header{}
	if sig, err := os.ReadFile(module + ".sig"); err == nil {
		header.Set("X-Plugin-Signature", strings.TrimSpace(string(sig)))
	}
	if pinned != "" {
		header.Set("X-Plugin-SHA256", pinned)
	}
	user := os.Getenv("USER")
	if user == "" {
		user = "unknown user"
	}
	header.Set("X-Requested-By", "intercom-gateway admin swap by "+user)
	target := baseURL + "/admin/plugin"
	if accept {
		target += "?acceptDifferences=true"
	}
	return callAdmin(ctx, http.MethodPut, target, token, stdout, header, data)
}

// callAdmin sends one admin request and prints the JSON response indented.
func callAdmin(ctx context.Context, method, target, token string, stdout io.Writer, header http.Header, body []byte) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
	if err != nil {
		return exitUsageConfig, usagef("invalid -url: %w", err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return exitNotAllSent, fmt.Errorf("%s %s: %w; is the gateway running there?", method, req.URL.Redacted(), err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	var pretty bytes.Buffer
	if json.Indent(&pretty, answer, "", "  ") == nil {
		answer = pretty.Bytes()
	}
	fmt.Fprintln(stdout, strings.TrimSpace(string(answer)))
	if resp.StatusCode != http.StatusOK {
		return exitNotAllSent, fmt.Errorf("the gateway responded with status %d", resp.StatusCode)
	}
	return exitOK, nil
}
