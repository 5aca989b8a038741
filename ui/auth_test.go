package ui

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/store"
	"github.com/pantau/pantau/ui/accounts"
)

func TestLoginSucceedsWithSessionCookie(t *testing.T) {
	f := newAuthFixture(t, Config{})
	w := f.request("POST", "/api/login", loginBody("lead", testPassword), nil)
	if w.Code != http.StatusOK {
		t.Fatalf("login: %d %s", w.Code, w.Body)
	}
	var out map[string]string
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if out["user"] != "lead" || out["role"] != "lead" || len(out["csrf"]) != tokenLen || len(out) != 3 {
		t.Errorf("login answer %v", out)
	}
	var c *http.Cookie
	for _, x := range w.Result().Cookies() {
		if x.Name == sessionCookie {
			c = x
		}
	}
	if c == nil {
		t.Fatal("no pantau_session cookie")
	}
	if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || len(c.Value) != tokenLen {
		t.Errorf("cookie flags: %+v", c)
	}
	// The store keeps the token's hash only, never the token.
	if _, found, _ := f.st.Session([]byte(c.Value)); found {
		t.Error("session stored under the raw token")
	}
	sess := &session{cookie: c, csrf: out["csrf"]}
	me := decode[map[string]string](t, f.request("GET", "/api/me", "", sess))
	if me["user"] != "lead" || me["role"] != "lead" || me["csrf"] != out["csrf"] || me["auth"] != "login" {
		t.Errorf("/api/me: %v", me)
	}
	es := f.audit()
	if last := es[len(es)-1]; last.Action != "login" || last.User != "lead" {
		t.Errorf("last audit entry %+v, want the login", last)
	}
}

func TestInsecureCookieDropsSecureOnly(t *testing.T) {
	f := newAuthFixture(t, Config{InsecureCookie: true})
	s := f.login("agen")
	if s.cookie.Secure || !s.cookie.HttpOnly || s.cookie.SameSite != http.SameSiteStrictMode {
		t.Errorf("cookie flags with insecure_cookie: %+v", s.cookie)
	}
}

func TestLoginRefusals(t *testing.T) {
	f := newAuthFixture(t, Config{})
	tests := map[string]struct {
		body   string
		status int
		want   string
	}{
		"wrong password":   {loginBody("agen", "not-the-password-at-all"), 401, wrongCredentials},
		"unknown user":     {loginBody("nobody", testPassword), 401, wrongCredentials},
		"upper-case name":  {loginBody("AGEN", testPassword), 401, wrongCredentials},
		"empty":            {loginBody("", ""), 401, wrongCredentials},
		"script name":      {loginBody("<script>alert(1)</script>", testPassword), 401, wrongCredentials},
		"NUL in name":      {loginBody("agen\x00", testPassword), 401, wrongCredentials},
		"huge name":        {loginBody(strings.Repeat("a", 3000), testPassword), 401, wrongCredentials},
		"malformed JSON":   {`{"username": "agen", "password": }`, 400, "request body"},
		"unknown field":    {`{"username":"agen","password":"x","remember":true}`, 400, "unknown field"},
		"two values":       {loginBody("agen", testPassword) + "{}", 400, "more than one"},
		"body too large":   {`{"username":"agen","password":"` + strings.Repeat("x", 5000) + `"}`, 413, "larger than"},
		"password no text": {`{"username":"agen","password":12}`, 400, "request body"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			w := f.requestWith("POST", "/api/login", tc.body, map[string]string{"RemoteAddr": "198.51.100." + strconv.Itoa(len(name)) + ":1"})
			if w.Code != tc.status || !strings.Contains(w.Body.String(), tc.want) {
				t.Errorf("%d %s, want %d with %q", w.Code, w.Body, tc.status, tc.want)
			}
			if w.Code == 401 && strings.TrimSpace(w.Body.String()) != `{"error":"wrong username or password"}` {
				t.Errorf("body %s", w.Body)
			}
			for _, c := range w.Result().Cookies() {
				if c.Name == sessionCookie {
					t.Error("a refused login set the session cookie")
				}
			}
		})
	}
	// Failures are audited, with the real account's name only: what was
	// typed as an unknown name may be a password.
	all := ""
	for _, e := range f.audit() {
		if strings.HasPrefix(e.Action, "user.") {
			continue // the fixture's accounts
		}
		if e.Action != "login.failed" {
			t.Errorf("unexpected audit entry %+v", e)
		}
		b, _ := json.Marshal(e)
		all += string(b)
	}
	for _, leak := range []string{"nobody", "script", "not-the-password", testPassword, "AGEN"} {
		if strings.Contains(all, leak) || strings.Contains(f.logs.String(), leak) {
			t.Errorf("audit or log contains %q", leak)
		}
	}
	if !strings.Contains(all, `"user":"agen"`) {
		t.Errorf("the wrong password for agen is not audited under agen: %s", all)
	}
}

func TestLoginRateLimitPerUserAndPerAddress(t *testing.T) {
	f := newAuthFixture(t, Config{})
	from := func(ip string) map[string]string { return map[string]string{"RemoteAddr": ip + ":5000"} }
	for i := range loginFailures {
		// Each failure from another address: only the user's limit counts.
		w := f.requestWith("POST", "/api/login", loginBody("agen", "wrong-password-guess"), from("203.0.113."+strconv.Itoa(i+1)))
		if w.Code != 401 {
			t.Fatalf("failure %d: %d %s", i, w.Code, w.Body)
		}
		f.clock.Advance(time.Minute)
	}
	// Now even the right password is refused, with Retry-After.
	w := f.requestWith("POST", "/api/login", loginBody("agen", testPassword), from("203.0.113.99"))
	if w.Code != http.StatusTooManyRequests {
		t.Fatalf("sixth try: %d %s", w.Code, w.Body)
	}
	// The first failure was 5 minutes ago: it ages out in 10 minutes.
	if ra := w.Header().Get("Retry-After"); ra != "600" {
		t.Errorf("Retry-After %q, want 600", ra)
	}
	// Another user is not affected.
	f.login("lead")
	f.clock.Advance(10 * time.Minute)
	f.login("agen")

	// Per address: five failures on five names from one address.
	for i, name := range []string{"a1", "a2", "a3", "a4", "a5"} {
		w := f.requestWith("POST", "/api/login", loginBody(name, "x"), from("192.0.2.200"))
		if w.Code != 401 {
			t.Fatalf("address failure %d: %d", i, w.Code)
		}
	}
	w = f.requestWith("POST", "/api/login", loginBody("mkt", testPassword), from("192.0.2.200"))
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") == "" {
		t.Errorf("address limit: %d %q", w.Code, w.Header().Get("Retry-After"))
	}
	// The same user from elsewhere still logs in.
	if w := f.requestWith("POST", "/api/login", loginBody("mkt", testPassword), from("192.0.2.201")); w.Code != 200 {
		t.Errorf("mkt from another address: %d %s", w.Code, w.Body)
	}
}

// An unknown name costs a full password verification, like a wrong
// password, so timing does not tell which accounts exist.
func TestUnknownUserTakesAsLongAsWrongPassword(t *testing.T) {
	f := newAuthFixture(t, Config{})
	real, err := accounts.HashPassword(testPassword) // full cost, as dummyHash
	if err != nil {
		t.Fatal(err)
	}
	f.changeUsers(func(file *accounts.File) error { return file.SetPassword("agen", real, "t", f.clock.Now()) })
	dummyHash() // made once per process; not part of the timing
	timeLogin := func(user string, ip int) time.Duration {
		start := time.Now()
		w := f.requestWith("POST", "/api/login", loginBody(user, "wrong-password-guess"), map[string]string{"RemoteAddr": "10.0.0." + strconv.Itoa(ip) + ":1"})
		if w.Code != 401 {
			t.Fatalf("%s: %d", user, w.Code)
		}
		return time.Since(start)
	}
	var known, unknown time.Duration
	for i := range 3 {
		known += timeLogin("agen", i)
		unknown += timeLogin("ghost"+strconv.Itoa(i), 10+i)
		f.clock.Advance(time.Hour) // keep clear of the limits
	}
	if ratio := float64(unknown) / float64(known); ratio < 0.25 || ratio > 4 {
		t.Errorf("unknown user %v vs wrong password %v: the difference tells names apart", unknown, known)
	}
}

func TestSessionExpiry(t *testing.T) {
	f := newAuthFixture(t, Config{SessionIdle: 30 * time.Minute, SessionMax: 2 * time.Hour})
	s := f.login("agen")
	// Idle: used every 20 minutes, the session lives on...
	for range 5 {
		f.clock.Advance(20 * time.Minute)
		if w := f.request("GET", "/api/me", "", s); w.Code != 200 {
			t.Fatalf("active session refused: %d %s", w.Code, w.Body)
		}
	}
	// ...until the absolute limit (100 min so far, 2h max).
	f.clock.Advance(21 * time.Minute)
	w := f.request("GET", "/api/me", "", s)
	if w.Code != 401 || !strings.Contains(w.Body.String(), "expired") {
		t.Errorf("after the absolute limit: %d %s", w.Code, w.Body)
	}
	// Idle limit on a fresh session.
	s = f.login("agen")
	f.clock.Advance(31 * time.Minute)
	if w := f.request("GET", "/api/mentions", "", s); w.Code != 401 {
		t.Errorf("after the idle limit: %d %s", w.Code, w.Body)
	}
	// The expired session is gone from the store.
	hash, _ := tokenHash(s.cookie.Value)
	if _, found, _ := f.st.Session(hash); found {
		t.Error("expired session still stored")
	}
}

func TestLogoutEndsSession(t *testing.T) {
	f := newAuthFixture(t, Config{})
	s := f.login("agen")
	w := f.request("POST", "/api/logout", "", s)
	if w.Code != http.StatusNoContent {
		t.Fatalf("logout: %d %s", w.Code, w.Body)
	}
	var cleared bool
	for _, c := range w.Result().Cookies() {
		cleared = cleared || (c.Name == sessionCookie && c.MaxAge < 0 && c.Value == "")
	}
	if !cleared {
		t.Error("logout did not clear the cookie")
	}
	if w := f.request("GET", "/api/me", "", s); w.Code != 401 {
		t.Errorf("the old cookie after logout: %d", w.Code)
	}
	es := f.audit()
	if last := es[len(es)-1]; last.Action != "logout" || last.User != "agen" {
		t.Errorf("last audit %+v", last)
	}
}

func TestNotLoggedInGets401JSON(t *testing.T) {
	f := newAuthFixture(t, Config{})
	for _, path := range []string{"/api/me", "/api/mentions", "/api/audit", "/api/config", "/api/nope", "/ws"} {
		w := f.request("GET", path, "", nil)
		if w.Code != 401 || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") || !strings.Contains(w.Body.String(), `"error"`) {
			t.Errorf("GET %s: %d %s", path, w.Code, w.Body)
		}
	}
	bogus := &session{cookie: &http.Cookie{Name: sessionCookie, Value: strings.Repeat("A", tokenLen)}, csrf: "x"}
	if w := f.request("GET", "/api/me", "", bogus); w.Code != 401 {
		t.Errorf("a made-up token: %d", w.Code)
	}
	// The page, its assets and the health check need no login.
	for _, path := range []string{"/", "/healthz", "/assets/app.js"} {
		if w := f.request("GET", path, "", nil); w.Code != 200 {
			t.Errorf("GET %s: %d", path, w.Code)
		}
	}
}

func TestCSRFTokenRequired(t *testing.T) {
	f := newAuthFixture(t, Config{})
	ingest(t, f.st, mention("c1", "paket belum sampai"))
	s := f.login("agen")
	body := `{"action":"assign"}`
	cookie := s.cookie.Name + "=" + s.cookie.Value
	for name, hdr := range map[string]map[string]string{
		"missing":     {"Cookie": cookie},
		"wrong":       {"Cookie": cookie, csrfHeader: strings.Repeat("B", tokenLen)},
		"other's":     {"Cookie": cookie, csrfHeader: f.login("lead").csrf},
		"short":       {"Cookie": cookie, csrfHeader: s.csrf[:10]},
		"in the body": {"Cookie": cookie, "X-Csrf": s.csrf},
	} {
		w := f.requestWith("POST", "/api/handling/rss:c1", body, hdr)
		if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), csrfHeader) {
			t.Errorf("%s token: %d %s", name, w.Code, w.Body)
		}
	}
	if m, _, _ := f.st.Mention("rss:c1"); m.AssignedTo != "" {
		t.Errorf("a refused request changed the mention: %+v", m)
	}
	if w := f.request("POST", "/api/logout", "", &session{cookie: s.cookie}); w.Code != 403 {
		t.Errorf("logout without the token: %d", w.Code)
	}
	// Logging in again with a live session needs no token (there is no
	// page with one yet).
	if w := f.requestWith("POST", "/api/login", loginBody("agen", testPassword), map[string]string{"Cookie": cookie}); w.Code != 200 {
		t.Errorf("login with a live session: %d %s", w.Code, w.Body)
	}
	if w := f.request("POST", "/api/handling/rss:c1", body, s); w.Code != 200 {
		t.Errorf("with the token: %d %s", w.Code, w.Body)
	}
	// A cross-site POST is still refused by the origin check.
	hdr := map[string]string{"Cookie": cookie, csrfHeader: s.csrf, "Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}
	if w := f.requestWith("POST", "/api/handling/rss:c1", body, hdr); w.Code != 403 {
		t.Errorf("cross-site: %d %s", w.Code, w.Body)
	}
}

func TestRoleChangeAndRemovalEndSessions(t *testing.T) {
	f := newAuthFixture(t, Config{})
	agent := f.login("agen")
	lead := f.login("lead")
	other := f.login("mkt")
	f.changeUsers(func(file *accounts.File) error { return file.SetRole("agen", accounts.RoleLead, "ops", f.clock.Now()) })
	if w := f.request("GET", "/api/me", "", agent); w.Code != 401 {
		t.Errorf("after a role change: %d %s", w.Code, w.Body)
	}
	f.changeUsers(func(file *accounts.File) error { return file.RemoveUser("lead", "ops", f.clock.Now()) })
	if w := f.request("GET", "/api/me", "", lead); w.Code != 401 {
		t.Errorf("after removal: %d", w.Code)
	}
	f.changeUsers(func(file *accounts.File) error {
		return file.SetPassword("mkt", cheapHash(t, "a-new-password-123"), "ops", f.clock.Now())
	})
	if w := f.request("GET", "/api/me", "", other); w.Code != 401 {
		t.Errorf("after a password change: %d", w.Code)
	}
	// Removed and added again: the old session stays dead.
	f.addUser("lead", accounts.RoleLead)
	if err := f.srv.ReloadUsers(false); err != nil {
		t.Fatal(err)
	}
	if w := f.request("GET", "/api/me", "", lead); w.Code != 401 {
		t.Errorf("after remove and add again: %d", w.Code)
	}
	// The new role is in force at the next login.
	s := f.login("agen")
	if me := decode[map[string]string](t, f.request("GET", "/api/me", "", s)); me["role"] != "lead" {
		t.Errorf("role after change: %v", me)
	}
	// The CLI's changes reached the audit log, each once.
	var got []string
	for _, e := range f.audit() {
		if strings.HasPrefix(e.Action, "user.") {
			got = append(got, e.Action+" "+e.Target+" by "+e.User)
		}
	}
	want := []string{
		"user.add user:admin by cli:tester", "user.add user:agen by cli:tester", "user.add user:lead by cli:tester", "user.add user:mkt by cli:tester",
		"user.role user:agen by cli:ops", "user.remove user:lead by cli:ops", "user.passwd user:mkt by cli:ops", "user.add user:lead by cli:tester",
	}
	if strings.Join(sortFirst(got, 4), "\n") != strings.Join(want, "\n") {
		t.Errorf("audited user changes:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// A forced re-read (SIGHUP) copies nothing twice.
	before := len(f.audit())
	if err := f.srv.ReloadUsers(true); err != nil {
		t.Fatal(err)
	}
	if after := len(f.audit()); after != before {
		t.Errorf("a re-read added %d audit entries", after-before)
	}
}

// sortFirst sorts the first n entries (the fixture adds its users in map
// order).
func sortFirst(s []string, n int) []string {
	if len(s) < n {
		return s
	}
	head := append([]string(nil), s[:n]...)
	for i := range head {
		for j := i + 1; j < len(head); j++ {
			if head[j] < head[i] {
				head[i], head[j] = head[j], head[i]
			}
		}
	}
	return append(head, s[n:]...)
}

func TestBrokenUsersFileKeepsAccounts(t *testing.T) {
	f := newAuthFixture(t, Config{})
	s := f.login("agen")
	if err := writeFile(f.usersPath, `{"version":1,"id":"x","users":[{"name":"Bad Name!"}]}`); err != nil {
		t.Fatal(err)
	}
	err := f.srv.ReloadUsers(false)
	if err == nil || !strings.Contains(err.Error(), "users[0]") {
		t.Fatalf("broken users file: %v", err)
	}
	if w := f.request("GET", "/api/me", "", s); w.Code != 200 {
		t.Errorf("the previous accounts are not kept: %d", w.Code)
	}
}

func TestSecretsNeverLogged(t *testing.T) {
	f := newAuthFixture(t, Config{})
	ingest(t, f.st, mention("s1", "halo"))
	s := f.login("lead")
	f.request("POST", "/api/login", loginBody("lead", "wrong-"+testPassword), nil)
	f.request("POST", "/api/login", loginBody(testPassword, testPassword), nil)
	f.request("POST", "/api/handling/rss:s1", `{"action":"resolved","note":"done"}`, s)
	f.request("GET", "/api/mentions", "", s)
	f.request("POST", "/api/logout", "", s)
	f.request("GET", "/api/me", "", s)
	logs := f.logs.String()
	if !strings.Contains(logs, "login") {
		t.Fatalf("nothing logged? %s", logs)
	}
	auditJSON, _ := json.Marshal(f.audit())
	for what, secret := range map[string]string{"password": testPassword, "token": s.cookie.Value, "csrf": s.csrf} {
		if strings.Contains(logs, secret) {
			t.Errorf("the %s is in the log", what)
		}
		if strings.Contains(string(auditJSON), secret) {
			t.Errorf("the %s is in the audit log", what)
		}
	}
}

func TestDemoModeActsAsAdmin(t *testing.T) {
	st := newTestStore(t)
	h := New(Config{}, st, testLogger(t)).Handler()
	me := decode[map[string]string](t, call(t, h, "GET", "/api/me", "", nil))
	if me["user"] != "demo" || me["role"] != "admin" || me["auth"] != "none" || me["csrf"] != "" {
		t.Errorf("/api/me without login: %v", me)
	}
	ingest(t, st, mention("d1", "x"))
	// No CSRF header needed: today's behaviour, guarded by the origin check.
	if w := call(t, h, "POST", "/api/handling/rss:d1", `{"action":"assign"}`, nil); w.Code != 200 {
		t.Errorf("handling without login: %d %s", w.Code, w.Body)
	}
	if m, _, _ := st.Mention("rss:d1"); m.AssignedTo != "demo" {
		t.Errorf("assigned to %q", m.AssignedTo)
	}
	if w := call(t, h, "POST", "/api/login", loginBody("a", "b"), nil); w.Code != 400 {
		t.Errorf("login without accounts: %d", w.Code)
	}
}

func TestAuthNoneOnlyOnLoopback(t *testing.T) {
	for name, tc := range map[string]struct {
		cfg  Config
		want string
	}{
		"none public":    {Config{Auth: AuthNone, Listen: "0.0.0.0:8080"}, "no authentication"},
		"default public": {Config{Listen: "192.0.2.1:8080"}, "no authentication"},
		"login public":   {Config{Auth: AuthLogin, Listen: "0.0.0.0:8080"}, ""},
		"none loopback":  {Config{Auth: AuthNone, Listen: "127.0.0.1:8080"}, ""},
		"unknown mode":   {Config{Auth: "basic"}, `http.auth: "basic" is not login or none`},
		"idle too short": {Config{Auth: AuthLogin, SessionIdle: time.Second}, "http.session_idle"},
		"idle over max":  {Config{Auth: AuthLogin, SessionIdle: 3 * time.Hour, SessionMax: time.Hour}, "longer than session_max"},
		"insecure none":  {Config{InsecureCookie: true}, "http.insecure_cookie"},
	} {
		err := tc.cfg.Validate("http")
		if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
	st := newTestStore(t)
	if err := New(Config{Auth: AuthNone}, st, testLogger(t)).Serve(t.Context(), fakeListener{}); err == nil || !strings.Contains(err.Error(), "no authentication") {
		t.Errorf("Serve none on a public address: %v", err)
	}
}

func TestEventsHideAuditFromAgents(t *testing.T) {
	f := newAuthFixture(t, Config{})
	ingest(t, f.st, mention("e1", "x"))
	agent, lead := f.login("agen"), f.login("lead")
	type page struct {
		Events []store.Event
		More   bool
		Next   uint64
	}
	types := func(s *session) (map[string]int, uint64) {
		p := decode[page](t, f.request("GET", "/api/events?since=0", "", s))
		n := map[string]int{}
		for _, e := range p.Events {
			n[e.Type]++
		}
		return n, p.Next
	}
	a, next := types(agent)
	l, _ := types(lead)
	if a[store.EventAudit] != 0 || l[store.EventAudit] == 0 || a[store.EventMentionNew] != 1 {
		t.Errorf("agent sees %v, lead sees %v", a, l)
	}
	if last, _ := f.st.LastSeq(); next != last {
		t.Errorf("next %d, want the last seq read %d", next, last)
	}
}
