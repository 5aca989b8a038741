package notify

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/pantau/pantau/store/secret"
)

const exampleReceivers = `
receivers:
  - name: oncall-slack
    kind: slack
    slack:
      url: ${PANTAU_TEST_SLACK_URL}
  - name: discord
    kind: discord
    discord: {url: "https://discord.com/api/webhooks/1/abc", username: Pantau}
  - name: teams
    kind: teams
    teams: {url: "https://example.webhook.office.com/workflows/x"}
  - name: pagerduty
    kind: pagerduty
    min_priority: 0.6
    actions: [trigger, acknowledge, resolve]
    pagerduty:
      routing_key_file: KEYFILE
  - name: hook
    kind: webhook
    rules: [viral]
    webhook: {url: "https://hooks.example.com/pantau", secret: "0123456789abcdef0123"}
  - name: mail
    kind: email
    brands: [acme]
    email:
      host: smtp.example.com
      from: "Pantau <pantau@example.com>"
      to: [lead@example.com]
      username: pantau
      password: hunter2hunter2
      starttls: required
  - name: phone
    kind: ntfy
    ntfy: {url: "https://ntfy.sh/acme-oncall-x7", priority: 5, tags: [acme]}
  - name: tg
    kind: telegram
    telegram: {token: "123:abc", chat_id: "-100123"}
ack_links:
  key: 0123456789abcdef0123456789abcdef
  ttl: 12h
`

type testConfig struct {
	Receivers []ReceiverConfig `yaml:"receivers"`
	AckLinks  AckConfig        `yaml:"ack_links"`
}

func decodeStrict(t *testing.T, text string) (testConfig, error) {
	t.Helper()
	var c testConfig
	dec := yaml.NewDecoder(bytes.NewReader([]byte(text)))
	dec.KnownFields(true)
	err := dec.Decode(&c)
	return c, err
}

func TestExampleConfigBuilds(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "pd.key")
	if err := os.WriteFile(keyFile, []byte("pdkey0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PANTAU_TEST_SLACK_URL", "https://hooks.slack.com/services/T/B/x")
	c, err := decodeStrict(t, strings.Replace(exampleReceivers, "KEYFILE", keyFile, 1))
	if err != nil {
		t.Fatal(err)
	}
	if err := ValidateReceivers(c.Receivers); err != nil {
		t.Fatal(err)
	}
	if err := c.AckLinks.Validate("ack_links"); err != nil {
		t.Fatal(err)
	}
	rs, err := Build(c.Receivers, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 8 || rs[3].Route.MinPriority != 0.6 || rs[4].Route.Rules[0] != "viral" || rs[5].Route.Brands[0] != "acme" {
		t.Fatalf("receivers %+v", rs)
	}
	kinds := map[string]bool{}
	for _, r := range rs {
		kinds[r.Kind] = true
	}
	if len(kinds) != len(Kinds()) {
		t.Fatalf("kinds built: %v", kinds)
	}
	if pd := rs[3].Notifier.(*PagerDuty); pd.key.Reveal() != "pdkey0123456789" || pd.url != DefaultPagerDutyURL {
		t.Fatalf("pagerduty from file: %q %s", pd.key.Reveal(), pd.url)
	}
	if e := rs[5].Notifier.(*Email); e.port != 587 || e.starttls != StartTLSRequired {
		t.Fatalf("email defaults: %d %s", e.port, e.starttls)
	}
	s, err := c.AckLinks.Signer(time.Now)
	if err != nil || s == nil {
		t.Fatalf("signer %v %v", s, err)
	}
	// Printing the config shows no secret.
	out, _ := yaml.Marshal(c)
	if strings.Contains(string(out), "hunter2") || strings.Contains(string(out), "0123456789abcdef0123") {
		t.Fatalf("config marshals secrets:\n%s", out)
	}
}

func TestUnknownKeysAreErrors(t *testing.T) {
	_, err := decodeStrict(t, "receivers:\n  - name: x\n    kind: slack\n    slack: {url: x, channel: '#a'}\n")
	if err == nil || !strings.Contains(err.Error(), "channel") {
		t.Fatalf("unknown key: %v", err)
	}
}

func TestValidationMessagesNameThePath(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	cases := map[string]struct {
		cfgs []ReceiverConfig
		want []string
	}{
		"pagerduty key": {
			[]ReceiverConfig{{Name: "a", Kind: KindSlack, Slack: &SlackConfig{URL: secret.New("https://h/x")}}, {Name: "b", Kind: KindSlack, Slack: &SlackConfig{URL: secret.New("https://h/y")}}, {Name: "pd", Kind: KindPagerDuty, PagerDuty: &PagerDutyConfig{}}},
			[]string{"receivers[2].pagerduty.routing_key: required"},
		},
		"everything wrong at once": {
			[]ReceiverConfig{
				{Name: "", Kind: "pigeon"},
				{Name: "dup", Kind: KindSlack},
				{Name: "dup", Kind: KindWebhook, Webhook: &WebhookConfig{URL: secret.New("ftp://secret-host/x"), Secret: secret.New("short")}, Slack: &SlackConfig{}},
				{Name: "bad name!", Kind: KindEmail, MinPriority: 2, Actions: []Action{"page"}, Email: &EmailConfig{Host: "smtp.example.com:25", From: "nobody", To: []string{"x@y", "bad"}, Username: "u", StartTLS: "maybe"}},
				{Name: "n", Kind: KindNtfy, Ntfy: &NtfyConfig{URLFile: missing, Priority: 9, Tags: []string{"a,b"}}},
				{Name: "t", Kind: KindTelegram, Telegram: &TelegramConfig{Token: secret.New("12:ab/c"), ChatID: "general"}},
				{Name: "p", Kind: KindPagerDuty, PagerDuty: &PagerDutyConfig{RoutingKey: secret.New("k"), RoutingKeyFile: missing, Severity: "urgent"}},
			},
			[]string{
				"receivers[0].name: required",
				"receivers[0].kind: unknown kind \"pigeon\"",
				"receivers[1].slack: required",
				"receivers[2].name: \"dup\" is used by another receiver",
				"receivers[2].slack: set, but the receiver's kind is \"webhook\"",
				"receivers[2].webhook.url: must be an absolute http or https URL",
				"receivers[2].webhook.secret: must be at least 16 bytes",
				"receivers[3].name: \"bad name!\" must be",
				"receivers[3].min_priority: must be between 0 and 1",
				"receivers[3].actions[0]: unknown action \"page\"",
				"receivers[3].email.host: \"smtp.example.com:25\" is not a host name",
				"receivers[3].email.from: \"nobody\" is not an e-mail address",
				"receivers[3].email.to[1]: \"bad\" is not an e-mail address",
				"receivers[3].email.username: username and password go together",
				"receivers[3].email.starttls: \"maybe\" is not opportunistic",
				"receivers[4].ntfy.url_file: read secret file",
				"receivers[4].ntfy.priority: must be 1 to 5",
				"receivers[4].ntfy.tags[0]: must be 1 to 64 characters",
				"receivers[5].telegram.token: is not a bot token",
				"receivers[5].telegram.chat_id: \"general\" is not",
				"receivers[6].pagerduty.routing_key_file: set either the value or its _file",
				"receivers[6].pagerduty.severity: \"urgent\" is not",
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := ValidateReceivers(tc.cfgs)
			if err == nil {
				t.Fatal("valid")
			}
			lines := strings.Split(err.Error(), "\n")
			for _, w := range tc.want {
				found := false
				for _, l := range lines {
					if strings.HasPrefix(l, w) {
						found = true
					}
				}
				if !found {
					t.Errorf("no line starts with %q in:\n%s", w, err)
				}
			}
			if len(lines) != len(tc.want) {
				t.Errorf("%d messages, want %d:\n%s", len(lines), len(tc.want), err)
			}
			if strings.Contains(err.Error(), "secret-host") {
				t.Errorf("a secret URL is quoted: %s", err)
			}
			if _, berr := Build(tc.cfgs, Deps{}); berr == nil || berr.Error() != err.Error() {
				t.Errorf("Build disagrees with ValidateReceivers: %v", berr)
			}
		})
	}
	if err := (ReceiverConfig{Name: "x", Kind: KindTeams}).Validate("receivers[7]"); err == nil || !strings.HasPrefix(err.Error(), "receivers[7].teams: required") {
		t.Errorf("single Validate: %v", err)
	}
}

func TestAckConfigValidate(t *testing.T) {
	for name, tc := range map[string]struct {
		c    AckConfig
		want string
	}{
		"empty is fine":  {AckConfig{}, ""},
		"short key":      {AckConfig{Key: secret.New("short")}, "ack_links.key: must be at least 32 bytes"},
		"ttl too long":   {AckConfig{TTL: 31 * 24 * time.Hour}, "ack_links.ttl: must be between"},
		"ttl too short":  {AckConfig{TTL: time.Second}, "ack_links.ttl: must be between"},
		"key and file":   {AckConfig{Key: secret.New(strings.Repeat("k", 32)), KeyFile: "/x"}, "ack_links.key_file: set either"},
		"missing keyfil": {AckConfig{KeyFile: filepath.Join(t.TempDir(), "no")}, "ack_links.key_file: read secret file"},
	} {
		err := tc.c.Validate("ack_links")
		if (err == nil) != (tc.want == "") || err != nil && !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
