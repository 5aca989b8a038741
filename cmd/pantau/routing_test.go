package main

import (
	"strings"
	"testing"
)

// Expression, spike, route and on-call mistakes are reported with the
// file and line, the field, and for expressions the rule's name and the
// column; every problem at once.
func TestRoutingConfigErrorsNameFileLine(t *testing.T) {
	cfg := validConfig + `  - name: refunds
    expr: complaint >= 0.7 && lnag == "id"
spikes:
  - name: spike
    k: -2
receivers:
  - name: chat
    kind: webhook
    webhook:
      url: https://hooks.example/x
      secret: "0123456789abcdef"
oncall:
  - name: leads
    timezone: Asia/Jakarta
    members:
      - {name: Rina, receivers: [pager]}
routes:
  - name: critical
    severities: [urgent]
    quiet_hours: [{days: [mon-sun], start: "22:00", end: "7am"}]
    levels:
      - receivers: [chat]
      - after: 10m
        oncall: lead
`
	_, err := parseConfig("pantau.yaml", []byte(cfg))
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{
		`pantau.yaml:18: rules[1].expr: rule "refunds": line 1, column 21: unknown name lnag`,
		"pantau.yaml:21: spikes[0].k:",
		`pantau.yaml:32: oncall[0].members[0].receivers[0]: no receiver named "pager"`,
		`pantau.yaml:35: routes[0].severities[0]: "urgent" is not critical`,
		`pantau.yaml:36: routes[0].quiet_hours[0].end: "7am" is not HH:MM`,
		`pantau.yaml:40: routes[0].levels[1].oncall: no on-call schedule named "lead"`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
	// An unknown key inside a route is refused with its line.
	_, err = parseConfig("pantau.yaml", []byte(validConfig+"routes:\n  - name: r\n    group_wiat: 1m\n"))
	if err == nil || !strings.Contains(err.Error(), "pantau.yaml:19:") || !strings.Contains(err.Error(), "group_wiat") {
		t.Errorf("unknown key: %v", err)
	}
}
