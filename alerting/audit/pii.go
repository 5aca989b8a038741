package audit

import (
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/pantau/pantau/store"
)

// Kinds of personal data FindPII reports (store.Span.Kind).
const (
	KindPhone       = "phone"
	KindEmail       = "email"
	KindAddress     = "address"
	KindOrderID     = "order_id"
	KindNIK         = "nik"
	KindCard        = "card"
	KindBankAccount = "bank_account"
	KindPlate       = "plate"
)

// FindPII returns the personal data in text as byte-offset spans, sorted
// and non-overlapping.
//
// It is used on both sides of a conversation:
//   - on a brand's public reply, any span is a violation (the Auditor's pii
//     check, and the alert "a brand reply exposed personal data");
//   - on a customer's public post, a span means the customer exposed their
//     own data (a phone number, an order number with an address): the post
//     should be answered by moving to a private channel, and the text shown
//     masked (Mask) on the dashboard and in notifications.
//
// The scanner is hand-written and linear in the text: one tokenizing pass
// and a bounded look-around per candidate. Numbers are only reported when
// their shape or the words in front of them say what they are, so prices,
// dates, times, percentages, versions, counts and years are left alone, and
// a brand's own hotline, role mailbox (cs@, help@) or shop address is not
// personal data.
func FindPII(text string) []store.Span {
	sc := scanPool.Get().(*scanner)
	sc.reset(text)
	sc.scan()
	var out []store.Span
	if len(sc.spans) > 0 {
		out = make([]store.Span, len(sc.spans))
		copy(out, sc.spans)
	}
	sc.text = ""
	scanPool.Put(sc)
	return out
}

// scanPool recycles the scanner's buffers: FindPII runs once per reply and
// per customer post, and the token slice is the only sizeable allocation.
var scanPool = sync.Pool{New: func() any { return new(scanner) }}

type tkind uint8

const (
	tWord  tkind = iota + 1 // a run of letters
	tNum                    // a run of ASCII digits
	tPunct                  // any other single rune (punctuation, emoji)
	tZone                   // a URL, e-mail address, @handle or #hashtag: opaque
)

type ptok struct {
	s, e int
	k    tkind
}

type zone struct {
	s, e int
}

type scanner struct {
	text  string
	toks  []ptok
	zones []zone
	spans []store.Span
}

func (sc *scanner) reset(text string) {
	sc.text = text
	sc.toks = sc.toks[:0]
	sc.zones = sc.zones[:0]
	sc.spans = sc.spans[:0]
}

func (sc *scanner) add(kind string, s, e int) {
	if e > s {
		sc.spans = append(sc.spans, store.Span{Kind: kind, Start: s, End: e})
	}
}

func (sc *scanner) scan() {
	sc.findURLs()
	sc.findEmails()
	slices.SortFunc(sc.zones, func(a, b zone) int { return a.s - b.s })
	sc.tokenize()
	for i := 0; i < len(sc.toks); {
		switch sc.toks[i].k {
		case tWord:
			i = sc.word(i)
		case tNum:
			i = sc.number(i)
		default:
			i++
		}
	}
	// Zone spans (e-mails, tracking numbers inside URLs) were found before
	// the token spans; sort everything and drop overlaps, keeping the
	// earlier span.
	slices.SortFunc(sc.spans, func(a, b store.Span) int {
		if a.Start != b.Start {
			return a.Start - b.Start
		}
		return b.End - a.End
	})
	out := sc.spans[:0]
	last := -1
	for _, sp := range sc.spans {
		if sp.Start >= last {
			out = append(out, sp)
			last = sp.End
		}
	}
	sc.spans = out
}

// --- zones: URLs, e-mail addresses, handles, hashtags ---

// findURLs marks every URL as a zone. A tracking page is not a tracking
// number, so the URL itself is never personal data; a tracking number
// carried inside it (?resi=JP123..., /track/JP123...) is.
func (sc *scanner) findURLs() {
	t := sc.text
	from := 0
	for {
		k := strings.Index(t[from:], "://")
		w := indexWWW(t[from:])
		if k < 0 && w < 0 {
			return
		}
		var s, p int // URL start, and where the host starts
		if k >= 0 && (w < 0 || k < w) {
			p = from + k + 3
			s = from + k
			for s > 0 && isSchemeChar(t[s-1]) {
				s--
			}
			if s == from+k || !isASCIILetter(t[s]) {
				from = p
				continue
			}
		} else {
			s = from + w
			p = s
			if s > 0 && !isBoundaryBefore(t, s) {
				from = s + 4
				continue
			}
		}
		e := p
		for e < len(t) && !isSpaceByte(t[e]) && t[e] != '"' && t[e] != '<' && t[e] != '>' {
			e++
		}
		for e > p && strings.IndexByte(".,;:!?)]}'", t[e-1]) >= 0 {
			e--
		}
		sc.zones = append(sc.zones, zone{s, e})
		sc.urlTracking(p, e)
		from = e
		if from <= s {
			from = s + 1
		}
	}
}

func indexWWW(s string) int {
	for i := 0; i+4 <= len(s); i++ {
		if (s[i] == 'w' || s[i] == 'W') && strings.EqualFold(s[i:i+4], "www.") {
			return i
		}
	}
	return -1
}

// urlTracking looks for a tracking, order or booking number in a URL's
// path segments and query values, keyed by the name in front of it.
func (sc *scanner) urlTracking(s, e int) {
	t := sc.text
	keyed := false
	seg := s
	for i := s; i <= e; i++ {
		if i < e && !strings.ContainsRune("/?&=#;", rune(t[i])) {
			continue
		}
		part := t[seg:i]
		if keyed && looksLikeID(part) || seg > s && waybillShape(part) {
			sc.add(KindOrderID, seg, i)
		}
		keyed = len(part) <= 20 && kwFlags(part)&kwURLKey != 0
		seg = i + 1
	}
}

// looksLikeID is true for a URL segment that could be an order or tracking
// number: at least 6 characters of letters, digits, '-' or '_', with at
// least 4 digits.
func looksLikeID(s string) bool {
	if len(s) < 6 || len(s) > 40 {
		return false
	}
	d := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isDigit(c):
			d++
		case isASCIILetter(c) || c == '-' || c == '_':
		default:
			return false
		}
	}
	return d >= 4
}

// waybillShape is true for 2-6 capital letters followed by 8-18 digits
// ("JP5566778899"): a courier waybill wherever it appears, even in a URL
// path without a telling name in front ("/t/JP5566778899"). Long bare
// numbers in paths are not enough: post and status ids look the same.
func waybillShape(s string) bool {
	l := 0
	for l < len(s) && 'A' <= s[l] && s[l] <= 'Z' {
		l++
	}
	if l < 2 || l > 6 || kwFlags(s[:l])&kwNotWaybill != 0 {
		return false
	}
	d := len(s) - l
	for i := l; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return d >= 8 && d <= 18
}

// findEmails marks e-mail addresses as zones and reports the personal ones.
// Role mailboxes (cs@, help@, support@...) are a business's, not a person's.
func (sc *scanner) findEmails() {
	t := sc.text
	for from := 0; ; {
		k := strings.IndexByte(t[from:], '@')
		if k < 0 {
			return
		}
		at := from + k
		from = at + 1
		if sc.inZone(at) {
			continue
		}
		ls := at
		for ls > 0 {
			if isLocalChar(t[ls-1]) {
				ls--
				continue
			}
			// internationalised local parts: "émile@exemple.fr"
			if r, sz := utf8.DecodeLastRuneInString(t[:ls]); r >= utf8.RuneSelf && unicode.IsLetter(r) {
				ls -= sz
				continue
			}
			break
		}
		for ls < at && (t[ls] == '.' || t[ls] == '-' || t[ls] == '+') {
			ls++
		}
		if ls == at || at-ls > 64 || t[at-1] == '.' {
			continue
		}
		de := at + 1
		for de < len(t) && (isAlnum(t[de]) || t[de] == '-' || t[de] == '.') {
			de++
		}
		for de > at+1 && (t[de-1] == '.' || t[de-1] == '-') {
			de--
		}
		if !validDomain(t[at+1 : de]) {
			continue
		}
		sc.zones = append(sc.zones, zone{ls, de})
		if !roleMailbox(t[ls:at]) {
			sc.add(KindEmail, ls, de)
		}
		from = de
	}
}

func (sc *scanner) inZone(i int) bool {
	for _, z := range sc.zones {
		if i >= z.s && i < z.e {
			return true
		}
	}
	return false
}

func validDomain(d string) bool {
	if len(d) < 4 || len(d) > 253 {
		return false
	}
	labels := 0
	start := 0
	for i := 0; i <= len(d); i++ {
		if i < len(d) && d[i] != '.' {
			continue
		}
		l := d[start:i]
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		labels++
		if i == len(d) { // the TLD: letters only, at least two
			if len(l) < 2 {
				return false
			}
			for j := 0; j < len(l); j++ {
				if !isASCIILetter(l[j]) {
					return false
				}
			}
		}
		start = i + 1
	}
	return labels >= 2
}

func roleMailbox(local string) bool {
	var buf [24]byte
	k, ok := lowerKey(local, &buf)
	if !ok {
		return false
	}
	_, yes := roleMailboxes[string(k)]
	return yes
}

var roleMailboxes = setOf("cs", "help", "helpdesk", "support", "care", "customercare", "customerservice",
	"info", "halo", "hello", "hi", "admin", "noreply", "no-reply", "contact", "kontak", "layanan",
	"pengaduan", "official", "sales", "billing", "privacy", "press", "media", "humas", "team", "tim",
	"feedback", "service", "services", "order", "orders", "refund", "refunds", "returns", "retur")

// --- tokenizer ---

func (sc *scanner) tokenize() {
	t := sc.text
	n := len(t)
	zi := 0
	nextZone := n + 1
	if len(sc.zones) > 0 {
		nextZone = sc.zones[0].s
	}
	for i := 0; i < n; {
		if i >= nextZone {
			z := sc.zones[zi]
			zi++
			nextZone = n + 1
			if zi < len(sc.zones) {
				nextZone = sc.zones[zi].s
			}
			if z.e <= i { // nested in a zone already emitted
				continue
			}
			sc.toks = append(sc.toks, ptok{i, z.e, tZone})
			i = z.e
			continue
		}
		c := t[i]
		if c < utf8.RuneSelf {
			switch {
			case isSpaceByte(c):
				i++
			case isDigit(c):
				j := i + 1
				for j < n && j < nextZone && isDigit(t[j]) {
					j++
				}
				sc.toks = append(sc.toks, ptok{i, j, tNum})
				i = j
			case isASCIILetter(c):
				j := sc.letters(i+1, nextZone)
				sc.toks = append(sc.toks, ptok{i, j, tWord})
				i = j
			case (c == '@' || c == '#') && i+1 < n && isBoundaryBefore(t, i) && (isASCIILetter(t[i+1]) || c == '@' && (isDigit(t[i+1]) || t[i+1] == '_')):
				// @handles and #hashtags are names, not data. '#'
				// followed by digits is left alone: "order #98231774".
				j := i + 1
				for j < n && (isAlnum(t[j]) || t[j] == '_' || c == '@' && t[j] == '.' && j+1 < n && isAlnum(t[j+1])) {
					j++
				}
				// Hashtags never go on with '-' or '/' and digits:
				// "#INV-88213047" is an invoice number after a '#'.
				if c == '#' && j+1 < n && (t[j] == '-' || t[j] == '/') && isDigit(t[j+1]) {
					sc.toks = append(sc.toks, ptok{i, i + 1, tPunct})
					i++
					continue
				}
				sc.toks = append(sc.toks, ptok{i, j, tZone})
				i = j
			default:
				sc.toks = append(sc.toks, ptok{i, i + 1, tPunct})
				i++
			}
			continue
		}
		r, sz := utf8.DecodeRuneInString(t[i:])
		switch {
		case unicode.IsLetter(r):
			j := sc.letters(i+sz, nextZone)
			sc.toks = append(sc.toks, ptok{i, j, tWord})
			i = j
		case unicode.IsSpace(r):
			i += sz
		default:
			sc.toks = append(sc.toks, ptok{i, i + sz, tPunct})
			i += sz
		}
	}
}

// letters returns the end of the run of letters starting at i.
func (sc *scanner) letters(i, stop int) int {
	t := sc.text
	for i < len(t) && i < stop {
		c := t[i]
		if c < utf8.RuneSelf {
			if !isASCIILetter(c) {
				return i
			}
			i++
			continue
		}
		r, sz := utf8.DecodeRuneInString(t[i:])
		if !unicode.IsLetter(r) && !unicode.Is(unicode.Mn, r) {
			return i
		}
		i += sz
	}
	return i
}

// --- token helpers ---

func (sc *scanner) str(i int) string { return sc.text[sc.toks[i].s:sc.toks[i].e] }

// adjacent reports whether tokens i and i+1 touch (no space between).
func (sc *scanner) adjacent(i int) bool {
	return i+1 < len(sc.toks) && sc.toks[i].e == sc.toks[i+1].s
}

// spaced reports whether tokens i and i+1 are separated by exactly one
// space (or touch when touching is allowed).
func (sc *scanner) spaced(i int, orTouching bool) bool {
	if i+1 >= len(sc.toks) {
		return false
	}
	g := sc.toks[i+1].s - sc.toks[i].e
	if g == 0 {
		return orTouching
	}
	if g == 1 {
		return sc.text[sc.toks[i].e] == ' ' || sc.text[sc.toks[i].e] == '\t'
	}
	return g == 2 && sc.text[sc.toks[i].e:sc.toks[i+1].s] == "\u00a0"
}

func (sc *scanner) isPunct(i int, chars string) bool {
	if i < 0 || i >= len(sc.toks) || sc.toks[i].k != tPunct {
		return false
	}
	t := sc.toks[i]
	return t.e-t.s == 1 && strings.IndexByte(chars, sc.text[t.s]) >= 0
}

func (sc *scanner) flags(i int) kw {
	if i < 0 || i >= len(sc.toks) || sc.toks[i].k != tWord {
		return 0
	}
	return kwFlags(sc.str(i))
}

func (sc *scanner) isUpperWord(i int) bool {
	s := sc.str(i)
	for j := 0; j < len(s); j++ {
		if !('A' <= s[j] && s[j] <= 'Z') {
			return false
		}
	}
	return true
}

func (sc *scanner) isCapitalized(i int) bool {
	if sc.toks[i].k != tWord {
		return false
	}
	r, _ := utf8.DecodeRuneInString(sc.str(i))
	return unicode.IsUpper(r)
}

// context walks back from token i over filler words and punctuation and
// returns the keyword flags of the first real word, so "no. pesanan Kakak:
// 2401150001234" finds "pesanan". It stops at a sentence end.
func (sc *scanner) context(i int) kw {
	for j, steps := i-1, 0; j >= 0 && steps < 6; j, steps = j-1, steps+1 {
		t := sc.toks[j]
		switch t.k {
		case tPunct:
			if sc.isPunct(j, ":#.-=(/") && !(sc.isPunct(j, ".") && j > 0 && sc.toks[j-1].k == tNum) {
				continue
			}
			return 0
		case tWord:
			f := kwFlags(sc.str(j))
			if f&kwContext != 0 {
				return f
			}
			if f&kwFiller != 0 {
				continue
			}
			return 0
		default:
			return 0
		}
	}
	return 0
}

// brandOwned decides whether a phone number is the brand's own from the
// words in front of it. Strong markers ("official", "resmi", "hotline",
// "our", "call center") count anywhere in the sentence before it. "kami" and
// "us" only count when nothing but a channel word sits between them and
// the number ("WA kami 0811...", "call us at (021)...", "with us on
// WhatsApp +62..."): in "Kami sudah telepon ke 0821..." the number is the
// customer's. "(official)" right after the number counts too. A person
// marker ("Kakak", "your", "saya") met first makes it personal, and so does
// no marker at all.
func (sc *scanner) brandOwned(first, last int) bool {
	onlyChannel := true
	for j, steps := first-1, 0; j >= 0 && steps < 7; j, steps = j-1, steps+1 {
		if sc.toks[j].k == tPunct && sc.isPunct(j, ".!?") {
			break
		}
		f := sc.flags(j)
		if f&kwPerson != 0 {
			return false
		}
		if f&kwBrand != 0 {
			return true
		}
		if f&kwWeBrand != 0 && onlyChannel {
			return true
		}
		if sc.toks[j].k != tPunct && f&kwChannel == 0 {
			onlyChannel = false
		}
	}
	if sc.isPunct(last+1, "(") && sc.flags(last+2)&kwBrand != 0 {
		return true
	}
	return false
}

// business reports a shop, office or outlet word shortly before token i:
// "outlet kami di Jl. Sudirman No. 45" is the brand's address.
func (sc *scanner) business(i int) bool {
	for j, steps := i-1, 0; j >= 0 && steps < 8; j, steps = j-1, steps+1 {
		if sc.toks[j].k == tPunct && sc.isPunct(j, "!?") {
			return false
		}
		if sc.flags(j)&kwBusiness != 0 {
			return true
		}
	}
	return false
}

// --- words: glued ids, booking codes, plates, Indonesian addresses ---

func (sc *scanner) word(i int) int {
	if n, ok := sc.plate(i); ok {
		return n
	}
	f := sc.flags(i)
	// a word touching digits, directly or through '-', '/' or '_':
	// "JP8812345678", "INV/2026/02/000451"
	glued := false
	if j := sc.gluedEnd(i); j > i+1 {
		for k := i + 1; k < j; k++ {
			if sc.toks[k].k == tNum {
				glued = true
				break
			}
		}
	}
	// "kode booking RT5G8K" is a booking code even though it starts like
	// an RT number; "RT03/RW05" with no such words is an address.
	if glued && sc.context(i)&(kwOrder|kwBooking) != 0 {
		return sc.glued(i)
	}
	if f&kwAddr != 0 {
		if n, ok := sc.address(i); ok {
			return n
		}
	}
	if glued {
		return sc.glued(i)
	}
	// A booking code (PNR) may have no digits: "kode booking Kakak XKQPZA".
	if l := sc.toks[i].e - sc.toks[i].s; l >= 5 && l <= 8 && sc.isUpperWord(i) && sc.context(i)&kwBooking != 0 {
		sc.add(KindOrderID, sc.toks[i].s, sc.toks[i].e)
	}
	return i + 1
}

// gluedEnd returns the end of the run of touching words and numbers from
// token i, joined by '-', '/' or '_' as in "INV/20260115/MPL/3456789012".
func (sc *scanner) gluedEnd(i int) int {
	j := i + 1
	for j < len(sc.toks) && sc.toks[j-1].e == sc.toks[j].s {
		k := sc.toks[j].k
		if k == tWord || k == tNum {
			j++
			continue
		}
		if sc.isPunct(j, "-/_") && j+1 < len(sc.toks) && sc.toks[j].e == sc.toks[j+1].s &&
			(sc.toks[j+1].k == tWord || sc.toks[j+1].k == tNum) {
			j += 2
			continue
		}
		break
	}
	return j
}

// glued classifies a run of touching letters and digits that starts with a
// word: order, tracking and booking numbers by the words in front of them or
// by their shape (INV/..., JP1234567890, SPXID012345678901). Anything else
// (HEMAT2026, iPhone15, RTX4090) is skipped whole so its digits are not
// read as a phone number.
func (sc *scanner) glued(i int) int {
	j := sc.gluedEnd(i)
	s, e := sc.toks[i].s, sc.toks[j-1].e
	run := sc.text[s:e]
	digits, letters, sep := 0, 0, false
	for k := 0; k < len(run); k++ {
		switch c := run[k]; {
		case isDigit(c):
			digits++
		case c == '-' || c == '/' || c == '_':
			sep = true
		default:
			letters++
		}
	}
	if ctx := sc.context(i); ctx&(kwOrder|kwBooking) != 0 && digits >= 1 && len(run) >= 5 {
		sc.add(KindOrderID, s, e)
		return j
	}
	if sep && len(run) > 3 && strings.EqualFold(run[:3], "INV") && digits >= 5 {
		sc.add(KindOrderID, s, e)
		return j
	}
	// Courier waybills: 2-6 capital letters, then 8-18 digits, then at most
	// three capital letters ("JP8812345678", "CGK1234567890123").
	if !sep && sc.isUpperWord(i) && i+1 < j && sc.toks[i+1].k == tNum {
		pl := sc.toks[i].e - sc.toks[i].s
		nd := sc.toks[i+1].e - sc.toks[i+1].s
		tail := j == i+2 || j == i+3 && sc.isUpperWord(i+2) && sc.toks[i+2].e-sc.toks[i+2].s <= 3
		if pl >= 2 && pl <= 6 && nd >= 8 && nd <= 18 && tail && kwFlags(sc.str(i))&kwNotWaybill == 0 {
			sc.add(KindOrderID, s, e)
			return j
		}
	}
	return j
}

// plate finds Indonesian vehicle plates: a region code (B, D, AB, BK...), a
// 1-4 digit number and a 1-3 letter suffix: "B 1234 XYZ", "B1234XYZ". The
// letters must be capitals unless a word in front says it is a plate
// ("plat", "nopol").
func (sc *scanner) plate(i int) (int, bool) {
	if i+2 >= len(sc.toks) {
		return 0, false
	}
	w := sc.str(i)
	if len(w) > 2 || !regionCode(w) {
		return 0, false
	}
	loose := false
	if !sc.isUpperWord(i) {
		if sc.context(i)&kwPlate == 0 {
			return 0, false
		}
		loose = true
	}
	n, suf := i+1, i+2
	if sc.toks[n].k != tNum || !sc.spaced(i, true) || !sc.spaced(n, true) || sc.toks[suf].k != tWord {
		return 0, false
	}
	if nd := sc.toks[n].e - sc.toks[n].s; nd > 4 || sc.text[sc.toks[n].s] == '0' {
		return 0, false
	}
	if l := sc.toks[suf].e - sc.toks[suf].s; l > 3 || !loose && !sc.isUpperWord(suf) {
		return 0, false
	}
	if kwFlags(sc.str(suf))&kwUnit != 0 {
		return 0, false
	}
	// "B1234XYZ5" or "B 1234 XYZ-9" is some other code.
	if sc.adjacent(suf) && (sc.toks[suf+1].k != tPunct || sc.isPunct(suf+1, "-/_")) {
		return 0, false
	}
	if i > 0 && sc.toks[i-1].e == sc.toks[i].s && sc.toks[i-1].k != tPunct {
		return 0, false
	}
	sc.add(KindPlate, sc.toks[i].s, sc.toks[suf].e)
	return suf + 1, true
}

var regionCodes = setOf("A", "B", "D", "E", "F", "G", "H", "K", "L", "M", "N", "P", "R", "S", "T", "W", "Z",
	"AA", "AB", "AD", "AE", "AG", "BA", "BB", "BD", "BE", "BG", "BH", "BK", "BL", "BM", "BN", "BP",
	"DA", "DB", "DC", "DD", "DE", "DG", "DH", "DK", "DL", "DM", "DN", "DP", "DR", "DT", "DW",
	"EA", "EB", "ED", "KB", "KH", "KT", "KU", "PA", "PB", "PG")

func regionCode(w string) bool {
	var buf [2]byte
	for k := 0; k < len(w); k++ {
		c := w[k]
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		buf[k] = c
	}
	_, ok := regionCodes[string(buf[:len(w)])]
	return ok
}

// Address parts, as bits.
const (
	aStreet = 1 << iota
	aNumber
	aBlock
	aGang
	aEstate
	aRT
	aRW
	aVillage
	aDistrict
)

// address parses an Indonesian address from an address keyword: street
// ("Jl."/"Jalan" + name), house number ("No. 12"), estate and block, RT/RW,
// kelurahan/desa and kecamatan, in any order, and reports it when it is
// specific enough to find a home: two or more parts ("Jl. Melati No. 12",
// "RT 03/RW 05", "Kel. X, Kec. Y"), or one part after "alamat". A street
// name alone ("macet di Jalan Sudirman") is not an address, nor is a shop's
// ("outlet kami di Jl. Sudirman No. 45").
func (sc *scanner) address(i int) (int, bool) {
	parts := 0
	nparts := 0
	j := i
	lastEnd := -1
	// Lower-case names are accepted after an abbreviation ("jl. flamboyan
	// no 9"), which nobody writes by accident; "jalan" in lower case is an
	// ordinary word ("jalan-jalan", "masih jalan").
	informal := false
	for j < len(sc.toks) {
		f := sc.flags(j)
		if f&kwAddr == 0 {
			break
		}
		word := sc.str(j)
		start := j
		var got int
		switch {
		case f&(kwStreet|kwGang|kwEstate) != 0:
			cap := sc.isCapitalized(j)
			abbrev := f&kwAbbrev != 0
			if !cap && !abbrev && !informal {
				break
			}
			if !cap {
				informal = true
			}
			k := j + 1
			if sc.isPunct(k, ".") {
				k++
			}
			nk, names := sc.names(k, informal || !cap, 4)
			if names == 0 {
				break
			}
			j = nk
			switch {
			case f&kwStreet != 0:
				got = aStreet
			case f&kwGang != 0:
				got = aGang
			default:
				got = aEstate
			}
			// "Jl. Melati 12": a bare number right after the name.
			if j < len(sc.toks) && sc.toks[j].k == tNum && sc.spaced(j-1, false) {
				j = sc.houseNumber(j)
				got |= aNumber
			}
		case f&kwHouseNo != 0:
			if parts == 0 {
				break // "no" alone is just "no"
			}
			k := j + 1
			if sc.isPunct(k, ".:") {
				k++
			}
			if k < len(sc.toks) && sc.toks[k].k == tNum {
				j = sc.houseNumber(k)
				got = aNumber
			}
		case f&kwBlock != 0:
			k := j + 1
			if sc.isPunct(k, ".") {
				k++
			}
			if k < len(sc.toks) && (sc.toks[k].k == tNum || sc.toks[k].k == tWord && sc.toks[k].e-sc.toks[k].s <= 2) {
				j = sc.gluedEnd(k)
				got = aBlock
			}
		case f&(kwRT|kwRW) != 0:
			if strings.EqualFold(word, "rt") && sc.isPunct(j+1, "/") && j+2 < len(sc.toks) && sc.flags(j+2)&kwRW != 0 {
				// "RT/RW 003/005"
				k := j + 3
				if sc.isPunct(k, ".:") {
					k++
				}
				if k+2 < len(sc.toks) && sc.toks[k].k == tNum && sc.isPunct(k+1, "/") && sc.toks[k+2].k == tNum {
					j = k + 3
					got = aRT | aRW
				}
				break
			}
			k := j + 1
			if sc.isPunct(k, ".:") {
				k++
			}
			if k < len(sc.toks) && sc.toks[k].k == tNum && sc.toks[k].e-sc.toks[k].s <= 3 {
				j = k + 1
				got = aRT
				if f&kwRW != 0 {
					got = aRW
				}
				// "RT 03/05" is RT 03, RW 05.
				if got == aRT && sc.isPunct(j, "/") && j+1 < len(sc.toks) && sc.toks[j+1].k == tNum && sc.adjacent(j) {
					j += 2
					got |= aRW
				}
			}
		case f&(kwVillage|kwDistrict) != 0:
			if !sc.isCapitalized(j) && parts == 0 {
				break
			}
			k := j + 1
			if sc.isPunct(k, ".") {
				k++
			}
			nk, names := sc.names(k, informal || parts != 0 && !sc.isCapitalized(j), 3)
			if names > 0 {
				j = nk
				got = aVillage
				if f&kwDistrict != 0 {
					got = aDistrict
				}
			}
		}
		if got == 0 {
			j = start
			break
		}
		if parts == 0 && j > start {
			// the first part decides where the span starts
			i = start
		}
		for b := got; b != 0; b &= b - 1 {
			nparts++
		}
		parts |= got
		lastEnd = j
		// separators between parts
		if sc.isPunct(j, ",/-") {
			j++
		}
	}
	if parts == 0 {
		return 0, false
	}
	ok := nparts >= 2 || sc.addressContext(i)
	if !ok {
		return 0, false
	}
	if sc.business(i) {
		return lastEnd, true
	}
	sc.add(KindAddress, sc.toks[i].s, sc.toks[lastEnd-1].e)
	return lastEnd, true
}

// names consumes up to max name words from k: capitalised words (or any
// words when loose), abbreviations with their dot ("Jend."), and a number
// that belongs to the name because a house number follows ("Cendana 3
// No. 21"). It stops at address keywords.
func (sc *scanner) names(k int, loose bool, max int) (int, int) {
	n := 0
	for k < len(sc.toks) && n < max {
		t := sc.toks[k]
		if k > 0 && t.s-sc.toks[k-1].e > 2 { // a line break or a gap
			break
		}
		switch t.k {
		case tWord:
			if sc.flags(k)&(kwAddr|kwStop) != 0 {
				return k, n
			}
			if !loose && !sc.isCapitalized(k) {
				return k, n
			}
			n++
			k++
			// "Jl. Jend. Sudirman": a short abbreviation keeps its dot
			// inside the name; after a long word the dot ends a sentence.
			if sc.isPunct(k, ".") && sc.toks[k-1].e-sc.toks[k-1].s <= 4 && k+1 < len(sc.toks) && sc.isCapitalized(k+1) && sc.flags(k+1)&kwAddr == 0 {
				k++
			}
		case tNum:
			if n > 0 && sc.flags(k+1)&kwHouseNo != 0 && sc.toks[k].e-sc.toks[k].s <= 3 {
				k++
				continue
			}
			return k, n
		default:
			return k, n
		}
	}
	return k, n
}

// houseNumber consumes "12", "12A", "12/3", "12-14" from token k.
func (sc *scanner) houseNumber(k int) int {
	k++
	if k < len(sc.toks) && sc.adjacent(k-1) {
		switch {
		case sc.toks[k].k == tWord && sc.toks[k].e-sc.toks[k].s == 1:
			k++
		case sc.isPunct(k, "/-") && k+1 < len(sc.toks) && sc.toks[k+1].k == tNum && sc.adjacent(k):
			k += 2
		}
	}
	return k
}

func (sc *scanner) addressContext(i int) bool {
	for j, steps := i-1, 0; j >= 0 && steps < 4; j, steps = j-1, steps+1 {
		if sc.flags(j)&kwAddrCtx != 0 {
			return true
		}
	}
	return false
}

// --- numbers ---

type group struct {
	s, e int  // digits
	sep  byte // separator before this group: 0 first, ' ' space, or the punctuation
	tok  int  // token index
}

// cluster collects the digit groups that may form one number from token i:
// joined by one of "-./:," (touching on both sides), by a single space, or
// after an area code in parentheses, "(021) 555 1234".
func (sc *scanner) cluster(i int, g []group) []group {
	g = append(g[:0], group{sc.toks[i].s, sc.toks[i].e, 0, i})
	paren := sc.isPunct(i-1, "(") && sc.adjacent(i-1)
	t := i
	for len(g) < 8 {
		switch {
		case sc.isPunct(t+1, "-./:,") && sc.adjacent(t) && sc.adjacent(t+1) && sc.toks[t+2].k == tNum:
			g = append(g, group{sc.toks[t+2].s, sc.toks[t+2].e, sc.text[sc.toks[t+1].s], t + 2})
			t += 2
		case paren && len(g) == 1 && sc.isPunct(t+1, ")") && sc.adjacent(t) && t+2 < len(sc.toks) && sc.toks[t+2].k == tNum && sc.spaced(t+1, true):
			g = append(g, group{sc.toks[t+2].s, sc.toks[t+2].e, ')', t + 2})
			t += 2
		case t+1 < len(sc.toks) && sc.toks[t+1].k == tNum && sc.spaced(t, false):
			g = append(g, group{sc.toks[t+1].s, sc.toks[t+1].e, ' ', t + 1})
			t++
		default:
			return g
		}
	}
	return g
}

// tight returns how many groups from the first are joined without spaces:
// the part skipped when the number is nothing personal.
func tight(g []group) int {
	k := 1
	for k < len(g) && g[k].sep != ' ' && g[k].sep != ')' {
		k++
	}
	return k
}

func (sc *scanner) number(i int) int {
	var buf [8]group
	g := sc.cluster(i, buf[:0])
	first := i
	plus := sc.isPunct(i-1, "+") && sc.adjacent(i-1)
	paren := sc.isPunct(i-1, "(") && sc.adjacent(i-1)
	if plus || paren {
		first = i - 1
	}
	skip := g[tight(g)-1].tok + 1

	// Touching letters: "150rb", "3x24", "2nd", "221B", "240115QWERTY12".
	if sc.adjacent(skip-1) && sc.toks[skip].k == tWord {
		if sc.flags(skip)&kwUnit != 0 || sc.toks[skip].e-sc.toks[skip].s > 1 && sc.context(i)&(kwOrder|kwBooking) == 0 {
			return sc.gluedEnd(skip - 1)
		}
		if sc.context(i)&(kwOrder|kwBooking) != 0 {
			j := sc.gluedEnd(i)
			if sc.toks[j-1].e-sc.toks[i].s >= 5 {
				sc.add(KindOrderID, sc.toks[i].s, sc.toks[j-1].e)
			}
			return j
		}
		if n, ok := sc.streetAddress(i); ok {
			return n
		}
		return skip + 1
	}
	// Money, percentages and counts: "Rp 150.000", "$12.99", "50%",
	// "150 ribu", "3 hari". A unit word after a long number with a context
	// word in front is not a unit: "no pesanan 2401150001234 min" ends
	// with "min" for "admin".
	if sc.price(first) {
		return skip
	}
	ctx := sc.context(first)
	if sc.unitAfter(skip-1) && (ctx == 0 || digitCount(sc.text, g[:tight(g)]) <= 4) {
		return skip
	}
	if ctx&kwCard != 0 {
		if k := cardGroups(sc.text, g); k > 0 {
			sc.add(KindCard, g[0].s, g[k-1].e)
			return g[k-1].tok + 1
		}
	}
	if ctx&kwNIK != 0 {
		if k := digitsUpTo(sc.text, g, 16, " "); k > 0 && digitCount(sc.text, g[:k]) == 16 {
			sc.add(KindNIK, g[0].s, g[k-1].e)
			return g[k-1].tok + 1
		}
	}
	if ctx&kwBank != 0 {
		if k := digitsUpTo(sc.text, g, 18, " -."); k > 0 && digitCount(sc.text, g[:k]) >= 8 {
			sc.add(KindBankAccount, g[0].s, g[k-1].e)
			return g[k-1].tok + 1
		}
	}
	if ctx&kwOrder != 0 {
		k := tight(g)
		ok := true
		for _, x := range g[1:k] {
			if x.sep != '-' && x.sep != '/' {
				ok = false
			}
		}
		if ok && digitCount(sc.text, g[:k]) >= 5 {
			sc.add(KindOrderID, g[0].s, g[k-1].e)
			return skip
		}
	}
	if len(g) == 1 && g[0].e-g[0].s == 16 && validNIK(sc.text[g[0].s:g[0].e]) {
		sc.add(KindNIK, g[0].s, g[0].e)
		return i + 1
	}
	if k := cardGroups(sc.text, g); k > 0 {
		sc.add(KindCard, g[0].s, g[k-1].e)
		return g[k-1].tok + 1
	}
	if k := phoneGroups(sc.text, g, plus, paren); k > 0 {
		last := g[k-1].tok
		if !sc.brandOwned(first, last) {
			sc.add(KindPhone, sc.toks[first].s, g[k-1].e)
		}
		return last + 1
	}
	if len(g) == 1 || g[1].sep == ' ' {
		if n, ok := sc.streetAddress(i); ok {
			return n
		}
	}
	return skip
}

// price reports a currency in front of token i: "Rp 150.000", "Rp150.000",
// "$12.99", "USD 1,250.00".
func (sc *scanner) price(i int) bool {
	j := i - 1
	if j < 0 {
		return false
	}
	if sc.toks[j].k == tPunct {
		if sc.isPunct(j, "$") || sc.text[sc.toks[j].s:sc.toks[j].e] == "€" || sc.text[sc.toks[j].s:sc.toks[j].e] == "£" {
			return true
		}
		return false
	}
	return sc.flags(j)&kwCurrency != 0 && sc.toks[i].s-sc.toks[j].e <= 1
}

// unitAfter reports a unit right after token i: "50%", "150 ribu", "3 hari",
// "2 minggu", "24 jam", "10 items".
func (sc *scanner) unitAfter(i int) bool {
	if sc.isPunct(i+1, "%") && sc.adjacent(i) {
		return true
	}
	return i+1 < len(sc.toks) && sc.toks[i+1].k == tWord && sc.spaced(i, true) && sc.flags(i+1)&kwUnit != 0
}

// streetAddress reads an English street address from a house number:
// "12 Baker Street, Apt 4B", "221B Baker Street", "1600 Pennsylvania
// Avenue": 1-5 digits (and a letter), one to three capitalised name words
// and a street type, then an optional apartment, unit or suite.
func (sc *scanner) streetAddress(i int) (int, bool) {
	if sc.toks[i].e-sc.toks[i].s > 5 {
		return 0, false
	}
	k := i + 1
	if sc.adjacent(i) {
		if sc.toks[k].k != tWord || sc.toks[k].e-sc.toks[k].s != 1 || !sc.isUpperWord(k) {
			return 0, false
		}
		k++
	}
	names := 0
	for k < len(sc.toks) && names <= 3 && sc.spaced(k-1, false) && sc.toks[k].k == tWord {
		f := sc.flags(k)
		if f&kwStreetType != 0 && names > 0 {
			end := k + 1
			if sc.isPunct(end, ".") && sc.adjacent(k) {
				end++
			}
			// ", Apt 4B" / " Unit 12" / ", Suite 300"
			a := end
			if sc.isPunct(a, ",") {
				a++
			}
			if a < len(sc.toks) && sc.flags(a)&kwUnitNo != 0 {
				b := a + 1
				if sc.isPunct(b, ".#") {
					b++
				}
				if b < len(sc.toks) && (sc.toks[b].k == tNum || sc.toks[b].k == tWord && sc.toks[b].e-sc.toks[b].s <= 2) {
					end = sc.gluedEnd(b)
				}
			}
			if sc.business(i) {
				return end, true
			}
			sc.add(KindAddress, sc.toks[i].s, sc.toks[end-1].e)
			return end, true
		}
		if !sc.isCapitalized(k) || f&(kwStop|kwUnit) != 0 {
			return 0, false
		}
		names++
		k++
	}
	return 0, false
}

// --- number shapes ---

func digitCount(t string, g []group) int {
	n := 0
	for _, x := range g {
		n += x.e - x.s
	}
	return n
}

// digitsUpTo returns how many groups from the first, joined only by the
// given separators, hold at most max digits.
func digitsUpTo(t string, g []group, max int, seps string) int {
	n, k := 0, 0
	for k < len(g) {
		if k > 0 && strings.IndexByte(seps, g[k].sep) < 0 {
			break
		}
		if n+g[k].e-g[k].s > max {
			break
		}
		n += g[k].e - g[k].s
		k++
	}
	return k
}

func appendDigits(dst []byte, t string, g []group) []byte {
	for _, x := range g {
		dst = append(dst, t[x.s:x.e]...)
	}
	return dst
}

// cardGroups returns how many groups form a payment card number: 13 to 19
// digits passing the Luhn check, starting with 2-6, written in one block or
// in groups of four (Amex 4-6-5) joined by spaces or dashes.
func cardGroups(t string, g []group) int {
	for k := min(len(g), 5); k >= 1; k-- {
		sep := g[min(1, k-1)].sep
		ok := true
		for _, x := range g[1:k] {
			if x.sep != sep || sep != ' ' && sep != '-' {
				ok = false
			}
		}
		if !ok {
			continue
		}
		n := digitCount(t, g[:k])
		if n < 13 || n > 19 {
			continue
		}
		if k > 1 && !cardGrouping(g[:k]) {
			continue
		}
		var buf [24]byte
		d := appendDigits(buf[:0], t, g[:k])
		if d[0] < '2' || d[0] > '6' || allSame(d) || !Luhn(string(d)) {
			continue
		}
		return k
	}
	return 0
}

func cardGrouping(g []group) bool {
	l := func(i int) int { return g[i].e - g[i].s }
	if len(g) == 3 && l(0) == 4 && l(1) == 6 && (l(2) == 5 || l(2) == 4) {
		return true
	}
	for i := range g {
		if i < len(g)-1 && l(i) != 4 || i == len(g)-1 && (l(i) < 1 || l(i) > 4) {
			return false
		}
	}
	return len(g) >= 3
}

func allSame(d []byte) bool {
	for _, c := range d[1:] {
		if c != d[0] {
			return false
		}
	}
	return true
}

// Luhn reports whether the digits in s (other characters are ignored) pass
// the Luhn checksum used by payment card numbers.
func Luhn(s string) bool {
	sum, n := 0, 0
	for i := len(s) - 1; i >= 0; i-- {
		c := s[i]
		if !isDigit(c) {
			continue
		}
		d := int(c - '0')
		if n%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		n++
	}
	return n > 0 && sum%10 == 0
}

// ValidNIK reports whether s is a plausible Indonesian NIK (Nomor Induk
// Kependudukan): 16 digits, a province code that exists, non-zero regency
// and district codes, a birth date DDMMYY with 40 added to the day for
// women, and a non-zero serial.
func ValidNIK(s string) bool { return len(s) == 16 && validNIK(s) }

func validNIK(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	num := func(i int) int { return int(s[i]-'0')*10 + int(s[i+1]-'0') }
	if !nikProvince[num(0)] || num(2) == 0 || num(4) == 0 {
		return false
	}
	day, month := num(6), num(8)
	if day > 40 {
		day -= 40
	}
	if day < 1 || day > 31 || month < 1 || month > 12 {
		return false
	}
	return s[12:] != "0000"
}

// nikProvince holds the province codes in use (Aceh 11 to Papua Tengah
// 94).
var nikProvince = func() [100]bool {
	var p [100]bool
	for _, c := range []int{11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 31, 32, 33, 34, 35, 36,
		51, 52, 53, 61, 62, 63, 64, 65, 71, 72, 73, 74, 75, 76, 81, 82, 91, 92, 93, 94} {
		p[c] = true
	}
	return p
}()

// phoneGroups returns how many groups form a phone number, longest first:
// Indonesian mobiles (08xx, 628xx, +62 8xx), Indonesian landlines with an
// area code (021-..., (022) ..., +62 21 ...), North American numbers and
// other international numbers written with a '+'. Toll-free (0800) and
// short call-centre numbers (1500-xxx, 14045) are a business's and do not
// match.
func phoneGroups(t string, g []group, plus, paren bool) int {
	for k := min(len(g), 6); k >= 1; k-- {
		ok := true
		for _, x := range g[1:k] {
			if x.sep != ' ' && x.sep != '-' && x.sep != '.' && x.sep != ')' {
				ok = false
			}
		}
		if !ok {
			continue
		}
		var buf [24]byte
		if digitCount(t, g[:k]) > len(buf) {
			continue
		}
		d := appendDigits(buf[:0], t, g[:k])
		if validPhone(d, plus, paren, g[:k]) {
			return k
		}
	}
	return 0
}

func validPhone(d []byte, plus, paren bool, g []group) bool {
	n := len(d)
	if n < 8 || allSame(d) {
		return false
	}
	switch {
	case plus && d[0] == '6' && d[1] == '2':
		nat := d[2:]
		if len(nat) > 0 && nat[0] == '0' {
			nat = nat[1:]
		}
		return idNational(nat)
	case plus && d[0] == '1':
		return n == 11 && nanp(d[1:])
	case plus:
		return n >= 9 && n <= 15 && d[0] != '0'
	case d[0] == '6' && d[1] == '2':
		return n >= 11 && n <= 14 && d[2] == '8' && idNational(d[2:])
	case d[0] == '0':
		return idNational(d[1:])
	case n == 10 && nanp(d):
		// Only in the written shape "(415) 555-0134" or "415-555-0134":
		// ten bare digits are anything.
		l := func(i int) int { return g[i].e - g[i].s }
		return len(g) == 3 && l(0) == 3 && l(1) == 3 && l(2) == 4 && (paren || g[1].sep == '-' && g[2].sep == '-')
	}
	return false
}

// idNational checks an Indonesian number without its leading 0 or +62.
func idNational(nat []byte) bool {
	n := len(nat)
	if n < 8 {
		return false
	}
	switch {
	case nat[0] == '8':
		// mobile: 08[1-9]x, 10 to 13 digits with the 0
		return nat[1] >= '1' && nat[1] <= '9' && n >= 9 && n <= 12
	case nat[0] >= '2' && nat[0] <= '7' || nat[0] == '9':
		// landline: a 2-3 digit area code and a 5-8 digit subscriber
		return n <= 11
	}
	return false
}

func nanp(d []byte) bool {
	return len(d) == 10 && d[0] >= '2' && d[3] >= '2'
}

// --- byte classes ---

func isDigit(c byte) bool       { return '0' <= c && c <= '9' }
func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isAlnum(c byte) bool       { return isDigit(c) || isASCIILetter(c) }
func isSpaceByte(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}
func isSchemeChar(c byte) bool { return isAlnum(c) || c == '+' || c == '.' || c == '-' }
func isLocalChar(c byte) bool {
	return isAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'
}

// isBoundaryBefore reports whether position i starts a new word.
func isBoundaryBefore(t string, i int) bool {
	if i == 0 {
		return true
	}
	c := t[i-1]
	return !isAlnum(c) && c != '_' && c < utf8.RuneSelf
}
