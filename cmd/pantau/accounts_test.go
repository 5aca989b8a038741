package main

import (
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

// The admins' config view shows no secret, wherever the config keeps one.
func TestConfigViewHidesEverySecret(t *testing.T) {
	secrets := map[string]string{
		"source token":          "SRC-TOKEN-5f1c",
		"reddit client secret":  "REDDIT-SECRET-9a7b",
		"reddit password":       "REDDIT-PASSWORD-31d",
		"webhook url":           "https://hooks.example/WEBHOOK-PATH-77",
		"webhook signing key":   "WEBHOOK-SIGNING-KEY-0123456789",
		"slack url":             "https://hooks.slack.example/services/SLACK-PATH-42",
		"smtp password":         "SMTP-PASSWORD-8e2",
		"pagerduty routing key": "PD-ROUTING-KEY-aa01",
		"ack key":               "ACK-KEY-0123456789abcdef0123456789abcdef",
		"url user password":     "URLPASS-hunter2",
		"url query token":       "QUERYTOKEN-c0ffee",
	}
	cfgText := `
data_dir: /tmp/pantau-test
http:
  listen: 127.0.0.1:8080
brands:
  - name: kilat
    terms: ["kilat express"]
sources:
  - name: news
    kind: rss
    url: https://bob:` + secrets["url user password"] + `@news.example/rss?key=` + secrets["url query token"] + `
    brand: kilat
    token: ` + secrets["source token"] + `
  - name: reddit
    kind: reddit
    brand: kilat
    reddit:
      user_agent: "linux:com.example.pantau:v0.1.0 (by /u/ops)"
      client_id: abcDEF123_-xyz0
      client_secret: ` + secrets["reddit client secret"] + `
      username: ops
      password: ` + secrets["reddit password"] + `
receivers:
  - name: hook
    kind: webhook
    webhook:
      url: ` + secrets["webhook url"] + `
      secret: ` + secrets["webhook signing key"] + `
  - name: chat
    kind: slack
    slack:
      url: ` + secrets["slack url"] + `
  - name: mail
    kind: email
    email:
      host: smtp.example
      from: pantau@example.com
      to: [ops@example.com]
      username: pantau
      password: ` + secrets["smtp password"] + `
      tls: true
  - name: pager
    kind: pagerduty
    pagerduty:
      routing_key: ` + secrets["pagerduty routing key"] + `
ack_links:
  key: ` + secrets["ack key"] + `
`
	cfg, err := parseConfig("pantau.yaml", []byte(cfgText))
	if err != nil {
		t.Fatal(err)
	}
	view := redactedConfig(cfg, slog.New(slog.DiscardHandler))
	out, err := json.Marshal(view)
	if err != nil {
		t.Fatal(err)
	}
	for what, v := range secrets {
		if strings.Contains(string(out), v) {
			t.Errorf("the %s shows in the config view", what)
		}
	}
	// The rest is there: the view is useful, not empty.
	for _, want := range []string{`"data_dir":"/tmp/pantau-test"`, `"listen":"127.0.0.1:8080"`, `"\u003csecret\u003e"`, `"auth":"login"`, "news.example", `"client_id":"abcDEF123_-xyz0"`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("config view lacks %s: %s", want, out)
		}
	}
}

func TestSecretKeyNames(t *testing.T) {
	for k, want := range map[string]bool{
		"token": true, "app_password": true, "routing_key": true, "api_key": true, "key": true, "secret": true, "client_secret": true,
		"token_file": false, "key_id": false, "keywords": false, "issuer_id": false, "url": false, "username": false, "monkey": false,
	} {
		if secretKey(k) != want {
			t.Errorf("secretKey(%q) = %v", k, !want)
		}
	}
}

func TestHTTPAuthConfigErrorsNameFileAndLine(t *testing.T) {
	base := func(httpSection string) string {
		return "data_dir: /tmp/x\nhttp:\n" + httpSection + "brands: [{name: kilat, terms: [kilat]}]\nsources: [{name: news, kind: rss, url: \"https://news.example/rss\", brand: kilat}]\n"
	}
	tests := map[string]struct {
		http string
		want []string
	}{
		"none off loopback":  {"  listen: 0.0.0.0:8080\n  auth: none\n", []string{"pantau.yaml:3:", "http.listen", "no authentication"}},
		"unknown mode":       {"  auth: basic\n", []string{"pantau.yaml:3:", `http.auth: "basic" is not login or none`}},
		"unknown key":        {"  auth_mode: none\n", []string{"pantau.yaml:3:", "auth_mode"}},
		"short idle":         {"  session_idle: 5s\n", []string{"pantau.yaml:3:", "http.session_idle"}},
		"not a duration":     {"  session_max: forever\n", []string{"pantau.yaml:3:"}},
		"insecure w/o login": {"  auth: none\n  insecure_cookie: true\n", []string{"pantau.yaml:4:", "http.insecure_cookie"}},
	}
	for name, tc := range tests {
		_, err := parseConfig("pantau.yaml", []byte(base(tc.http)))
		for _, w := range tc.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %v, want %q", name, err, w)
			}
		}
	}
	// Login off loopback is fine.
	if _, err := parseConfig("pantau.yaml", []byte(base("  listen: 0.0.0.0:8080\n  public_url: https://pantau.example.com\n"))); err != nil {
		t.Errorf("login on all interfaces: %v", err)
	}
}
