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
		return exitUsageConfig, usagef("environment variable %s is empty; export the gateway's admin token in it", *tokenEnv)
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
	default:
		return exitUsageConfig, usagef("unknown admin action %q; see intercom-gateway admin -h", action)
	}
	return callAdmin(ctx, method, strings.TrimRight(*baseURL, "/")+path, token, stdout)
}

// callAdmin sends one admin request and prints the JSON answer indented.
func callAdmin(ctx context.Context, method, target, token string, stdout io.Writer) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, target, nil)
	if err != nil {
		return exitUsageConfig, usagef("invalid -url: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return exitNotAllSent, fmt.Errorf("%s %s: %w; is the gateway running there?", method, req.URL.Redacted(), err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	var pretty bytes.Buffer
	if json.Indent(&pretty, body, "", "  ") == nil {
		body = pretty.Bytes()
	}
	fmt.Fprintln(stdout, strings.TrimSpace(string(body)))
	if resp.StatusCode != http.StatusOK {
		return exitNotAllSent, fmt.Errorf("the gateway answered %d", resp.StatusCode)
	}
	return exitOK, nil
}
