package main

import (
	"strings"
	"testing"
	"time"
)

func TestOpsAndRetentionConfig(t *testing.T) {
	tests := map[string]struct {
		add  string
		want []string
	}{
		"defaults":         {"", nil},
		"valid":            {"ops: {listen: \"127.0.0.1:9090\"}\nretention: {events: 7d, samples: 30d, mentions: 400d, alerts: 2000h, outbox: 30d}\n", nil},
		"public ops":       {"ops:\n  listen: 0.0.0.0:9090\n", []string{"pantau.yaml:18:", "ops.listen", "loopback"}},
		"ops not hostport": {"ops:\n  listen: nine\n", []string{"pantau.yaml:18:", "ops.listen", "host:port"}},
		"unknown ops key":  {"ops:\n  port: 9090\n", []string{"pantau.yaml:18:", "port"}},
		"bad age":          {"retention:\n  events: 30 days\n", []string{"pantau.yaml:18:", "30 days", "30d"}},
		"too short":        {"retention:\n  events: 10m\n", []string{"pantau.yaml:18:", "retention.events", "minimum"}},
		"unknown kind":     {"retention:\n  rollups: 30d\n", []string{"pantau.yaml:18:", "rollups"}},
		"samples outlive":  {"retention:\n  samples: 500d\n", []string{"retention.samples", "outlive"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg, err := parseConfig("pantau.yaml", []byte(validConfig+tc.add))
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				if name == "defaults" && (time.Duration(cfg.Retention.Mentions) != 400*24*time.Hour || cfg.Ops.Listen != "") {
					t.Errorf("defaults: %+v %+v", cfg.Retention, cfg.Ops)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}
