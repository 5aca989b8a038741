package audit

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// The audit reads a reply as a sequence of normalised words (lower case,
// informal spellings mapped to one form, letters stretched for emphasis
// folded back) and looks up phrases by their first word. Each phrase
// belongs to one category; the checks are decided from which categories
// were hit. The lists are small and explicit on purpose: every verdict can
// be traced to the words that produced it, in the check's Detail.

type category uint8

const (
	catApology    category = iota // "maaf", "sorry", "we apologise"
	catAck                        // acknowledges feeling or impact: "we understand", "ketidaknyamanan"
	catAdmit                      // owns the failure: "our mistake", "kelalaian kami"
	catBlame                      // blames the customer or denies responsibility
	catHostile                    // sarcasm, mockery, telling off: "makanya", "🙄"
	catLaugh                      // laughing: hostile under a complaint, friendly under praise
	catDefensive                  // defensive or lecturing: "actually", "as we said"
	catPrivate                    // moves to a private channel: DM, e-mail, WA, call
	catSolution                   // tells the customer what to do: "silakan coba login ulang"
	catAction                     // a concrete remedy: refund, replace, send, fix
	catWeakAction                 // a vague one: check, look into, forward
	catCommit                     // will, akan
	catDone                       // already done: sudah, we've, has been
	catTime                       // when: today, besok, within 3 days, 1x24 jam
	catComp                       // compensation: refund, voucher, cashback
	catThanks                     // thanks for praise
	catNeg                        // negation: not, tidak, bukan
	catTerms                      // describes terms, not an offer: only, hanya, habis
	catComplaint                  // (customer post) a complaint word
	catPraise                     // (customer post) a praise word
	catQuestion                   // (customer post) a question word
	numCategories
)

type phrase struct {
	words []string // normalised; "x*" matches a prefix, "#" any number
	cat   category
	text  string // as written, for the check's Detail
	// negatable phrases do not count after a negation: "bukan kesalahan
	// Kakak" is not blame, "refund tidak bisa" is no offer.
	negatable bool
}

type lexicon struct {
	phrases []phrase
	first   map[string][]int32 // exact first word -> phrases
	prefix  map[string][]int32 // first 3 bytes of a prefix first word -> phrases
	number  []int32            // phrases starting with "#"
	slang   map[string]string
}

var (
	lexOnce sync.Once
	lex     *lexicon
)

func getLexicon() *lexicon {
	lexOnce.Do(func() { lex = buildLexicon() })
	return lex
}

// slang maps informal spellings to one form so each phrase is written once.
var slang = map[string]string{
	"bgt": "banget", "bngt": "banget", "bangett": "banget",
	"gk": "tidak", "ga": "tidak", "gak": "tidak", "nggak": "tidak", "ngga": "tidak", "enggak": "tidak",
	"engga": "tidak", "tdk": "tidak", "ndak": "tidak", "kagak": "tidak", "gag": "tidak",
	"udh": "sudah", "udah": "sudah", "sdh": "sudah", "dah": "sudah", "uda": "sudah",
	"mhn": "mohon", "kakak": "kak", "kk": "kak", "kaka": "kak", "kakk": "kak", "ka": "kak",
	"blm": "belum", "blom": "belum", "belom": "belum", "tp": "tapi", "jg": "juga", "yg": "yang",
	"dgn": "dengan", "utk": "untuk", "krn": "karena", "karna": "karena", "sm": "sama", "aja": "saja",
	"gmn": "bagaimana", "gimana": "bagaimana", "trus": "terus", "bener": "benar",
	"makasi": "makasih", "mksh": "makasih", "trims": "makasih", "trimakasih": "makasih",
	"terimakasih": "makasih", "mkasih": "makasih", "thx": "thanks", "tq": "thanks", "ty": "thanks",
	"thank": "thanks", "sori": "sorry", "sory": "sorry", "sorri": "sorry", "sowry": "sorry",
	"sgr": "segera", "hr": "hari", "tlg": "tolong", "plis": "please", "pls": "please", "plz": "please",
	"silahkan": "silakan", "u": "you", "ur": "your", "pake": "pakai", "dateng": "datang",
	"nyampe": "sampai", "nyampai": "sampai", "cepet": "cepat", "kita": "kami", "nunggu": "menunggu",
	"emg": "memang", "emang": "memang", "bales": "balas", "dibales": "dibalas", "telp": "telepon",
	"telpon": "telepon", "tlp": "telepon", "gw": "saya", "gue": "saya", "sy": "saya", "aku": "saya",
	"dlu": "dulu", "dl": "dulu", "lg": "lagi", "sbg": "sebagai", "skrg": "sekarang", "bsk": "besok",
	"mnt": "menit", "dgr": "dengar", "denger": "dengar", "dengernya": "dengarnya", "seneng": "senang",
	"kesel": "kesal", "cuman": "cuma", "ok": "okay", "oke": "okay",
	"dibilangin": "dibilang", "nyesel": "menyesal", "infoin": "infokan", "kabarin": "kabari",
}

func buildLexicon() *lexicon {
	lx := &lexicon{first: map[string][]int32{}, prefix: map[string][]int32{}, slang: slang}
	add := func(c category, negatable bool, list ...string) {
		for _, text := range list {
			var z norm
			z.run(lx, text, true)
			p := phrase{cat: c, text: text, negatable: negatable}
			for i := range z.toks {
				p.words = append(p.words, string(z.word(i)))
			}
			if len(p.words) == 0 {
				panic("audit: empty phrase " + text)
			}
			idx := int32(len(lx.phrases))
			lx.phrases = append(lx.phrases, p)
			w := p.words[0]
			switch {
			case w == "#":
				lx.number = append(lx.number, idx)
			case strings.HasSuffix(w, "*"):
				if len(w) < 4 {
					panic("audit: prefix too short in " + text)
				}
				lx.prefix[w[:3]] = append(lx.prefix[w[:3]], idx)
			default:
				lx.first[w] = append(lx.first[w], idx)
			}
		}
	}

	add(catApology, false, "sorry", "maaf", "apolog*", "we regret", "regret the", "our bad", "mohon dimaafkan",
		"forgive us")
	add(catAck, false, "understand*", "paham", "memahami", "mengerti", "hear you", "frustrat*", "disappoint*",
		"kecewa*", "kekecewaan*", "ketidaknyamanan*", "inconvenien*", "trouble", "hassle", "not okay",
		"isn't okay", "not acceptable", "isn't acceptable", "unacceptable", "kesal", "sedih", "melelahkan",
		"tidak enak", "tidak menyenangkan", "keterlambatan*", "kendala*", "the wait", "long wait",
		"keep you waiting", "kept you waiting", "mix-up", "that's on us", "bikin kesal", "pasti kesal",
		"kami ikut", "we know how", "must be", "pasti bikin", "repot*", "merepotkan")
	add(catAdmit, true, "our mistake", "our fault", "our error", "on us", "we messed up", "we dropped the ball",
		"we got it wrong", "should never happen", "should not have happened", "shouldn't have happened",
		"kesalahan kami", "kelalaian kami", "salah kami", "kami yang salah", "kekeliruan kami",
		"isn't who we want to be", "not who we want to be", "kesalahan dari kami", "kesalahan sistem kami")
	add(catAdmit, false, "bukan kesalahan kak", "not your fault", "bukan salah kak")
	add(catBlame, true, "kesalahan kak", "salah kak", "your fault", "your own fault", "user error",
		"because you", "karena kak klik")
	add(catBlame, false, "you should have", "you should've", "should have read", "should have checked",
		"salah sendiri", "kesalahan sendiri", "not our fault", "not our problem", "not our responsibility",
		"bukan salah kami", "bukan kesalahan kami", "kami tidak salah", "bukan tanggung jawab*",
		"bukan dari kami", "bukan dari pihak kami", "if you had read", "didn't read", "did not read",
		"maybe you were", "you were rude", "works fine for us", "works for us", "di kami aman*",
		"tidak mau menunggu", "jangan pesan", "you didn't", "salah kak sendiri")
	add(catLaugh, false, "lol", "lmao", "lmfao", "rofl", "wkwk*", "haha*", "hehe*", "😂", "🤣", "😆", "😹")
	add(catHostile, false, "🙄", "😒", "🤦", "makanya", "baca dulu", "baca dong", "dibaca dulu", "dibaca dong", "read the faq", "read our",
		"read the terms", "please read", "did you read", "calm down", "tenang dulu", "santai saja", "ngeyel",
		"lebay", "drama", "hoax", "hoaks", "jangan sebar", "dibesar-besarkan", "ya kali", "yakali",
		"obviously", "have you tried turning", "explained this", "already explained", "we've explained",
		"sudah kami jelaskan", "kami sudah jelaskan", "sudah dijelaskan", "sudah dibilang", "berkali-kali",
		"whatever", "terserah", "gitu saja", "common sense", "jangan beli", "tidak usah beli",
		"check with your family", "check your internet", "maybe you", "mungkin kak", "told you",
		"we've told you", "as we've told", "you need to read", "go read", "salah paham kak")
	add(catDefensive, false, "actually", "as we said", "as mentioned", "as stated", "as previously",
		"like we said", "as we mentioned", "as per our", "it says", "sebenarnya", "sebenernya",
		"seperti yang sudah", "sebagaimana yang", "namanya juga", "sabar ya", "yang sabar", "semua juga",
		"thousands of you", "can't reply to every", "sudah tertulis", "tertulis jelas", "sudah jelas",
		"kan sudah", "mohon dibaca", "harap dibaca", "to be fair", "just so you know", "for your information",
		"fyi", "harap maklum", "mohon dimaklumi", "mohon maklum", "dimaklumi", "maklum ya", "sabar dikit",
		"sabar sedikit", "jam sibuk", "lagi sibuk", "tidak mungkin", "impossible", "works perfectly",
		"working fine", "fine kok", "aman kok", "sesuai standar", "sesuai prosedur", "standard practice",
		"sudah dicek belum", "have you checked", "did you check", "you'd need to", "you need to contact",
		"raise it with them", "not something we", "bukan wewenang kami", "bukan ranah kami", "pihak ketiga",
		"third party", "our partner", "partner stores", "mungkin kurir*", "kurang hati-hati", "lagi buru-buru")
	add(catPrivate, false, "dm", "dms", "direct message", "inbox", "whatsapp", "wa", "email*", "e-mail",
		"surel", "call center", "callcenter", "hotline", "hubungi", "contact", "reach out", "reach us",
		"call", "calls", "call-back", "phone you", "telepon", "menghubungi kak", "menghubungi anda",
		"akan menghubungi", "menghubungi kamu", "menghubungi you", "chat with us", "chat us", "live chat",
		"chat kami", "japri", "private message", "privately", "secara pribadi", "in private", "pm kami",
		"pm us", "inbox kami", "support line")
	add(catSolution, false, "please try", "try updating", "try again", "coba lagi", "silakan coba",
		"coba ulang", "login ulang", "log in again", "log out", "hapus cache", "clear cache",
		"clear the cache", "restart", "reinstall", "please update", "update to", "update ke",
		"silakan update", "perbarui", "update aplikasi*", "silakan ajukan", "ajukan retur",
		"ajukan komplain", "request a return", "checkout ulang", "reply here", "reply to", "balas di sana",
		"isi form", "fill in the form", "silakan isi", "coba metode", "metode pembayaran lain",
		"return label", "unggah ulang", "upload ulang", "install ulang", "ulangi",
		"please reinstall", "log out and", "turn it off", "update the app")
	add(catAction, false, "refund*", "kembalikan", "dikembalikan", "pengembalian", "dana kembali",
		"otomatis kembali", "replace*", "ganti", "diganti", "penggantian", "pengganti", "kirim ulang",
		"dikirim ulang", "resend", "re-sent", "resent", "send", "sent", "kirim", "kirimkan", "dikirim",
		"ship*", "transfer", "credited", "fix*", "perbaiki", "diperbaiki", "memperbaiki", "cancel*",
		"batalkan", "dibatalkan", "reschedule*", "jemput", "menjemput", "dijemput", "ambil", "diambil",
		"collect*", "pickup", "pick up", "pick-up", "suspend*", "removed", "remove", "blokir*",
		"diblokir", "nonaktifkan", "dinonaktifkan", "tegur", "ditegur", "revers*", "arranged", "arrange",
		"escalat*", "eskalasi", "prioritaskan", "diprioritaskan", "proses", "diproses", "memproses",
		"process*", "approved", "corrected", "confirmed", "dikonfirmasi", "swap", "tukar", "report",
		"added", "upgrade*", "voucher*", "cashback", "kompensasi", "ajukan", "diajukan", "dibalas",
		"balas", "retur", "replied", "transfer*", "investigate", "phone", "buka blokir*", "call",
		"verifikasi", "diverifikasi", "verified", "assign*", "naikkan", "dinaikkan", "majukan", "dimajukan",
		"reopen*", "restor*", "pulihkan", "dipulihkan", "reactivat*", "aktifkan", "diaktifkan")
	add(catWeakAction, false, "check", "cek", "mengecek", "dicek", "look into", "looking into", "take a look",
		"investigat*", "follow up", "follow-up", "tindaklanjuti", "menindaklanjuti", "ditindaklanjuti",
		"kabari", "kabar", "update you", "get back", "trace", "pantau", "memantau", "dipantau",
		"sampaikan", "disampaikan", "teruskan", "diteruskan", "forward*", "bantu", "membantu", "help",
		"noted", "catat", "dicatat", "infokan", "review", "chase", "sort it out", "sorted", "get this fixed")
	add(catCommit, false, "we'll", "we will", "i'll", "i will", "will", "akan", "going to", "on its way",
		"on the way", "should arrive", "dijadwalkan", "scheduled", "booked", "nanti", "we're shipping",
		"are shipping", "segera kami", "kami bantu", "siap membantu")
	add(catDone, false, "sudah", "telah", "has been", "have been", "we've", "we have", "was sent", "i've",
		"done", "berhasil", "already", "just sent", "we just", "were sent", "got it", "is now", "are now")
	add(catTime, false, "today", "tonight", "tomorrow", "within", "right away", "asap", "as soon as",
		"same day", "shortly", "this week", "this afternoon", "this evening", "hari ini", "besok",
		"nanti sore", "sore ini", "malam ini", "pagi ini", "minggu ini", "segera", "sekarang", "hari kerja",
		"business days", "business day", "paling lambat", "maksimal", "maks", "dalam # jam", "dalam # hari",
		"dalam # menit", "in # days", "in # hours", "in # minutes", "the next update", "next update",
		"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "senin", "selasa",
		"rabu", "kamis", "jumat", "sabtu", "the moment", "# jam", "# hari", "# days", "# hours",
		"pukul #", "at #", "# am", "# pm", "# wib", "jam #", "# menit", "# minutes", "# mins", "eta",
		"# jan*", "# feb*", "# mar*", "# apr*", "# may", "# mei", "# jun*", "# jul*", "# aug*", "# agu*",
		"# sep*", "# oct*", "# okt*", "# nov*", "# dec*", "# des*", "next week", "minggu depan", "siang ini",
		"besok siang", "lusa")
	add(catComp, true, "refund*", "pengembalian dana", "dana kembali", "otomatis kembali", "kembalikan",
		"dikembalikan", "voucher*", "vocer", "cashback", "cash back", "kompensasi", "compensation",
		"compensate", "ganti rugi", "store credit", "account credit", "credited", "discount*", "diskon*",
		"# off", "off your next", "promo code", "kode promo", "free delivery", "free shipping",
		"gratis ongkir", "ongkir gratis", "free ongkir", "ongkir retur gratis", "bonus points",
		"bonus poin", "poin bonus", "hadiah", "complimentary", "on the house", "coupon*", "kupon")
	add(catThanks, false, "thanks", "makasih", "terima kasih", "glad", "happy", "senang", "love hearing",
		"kind words", "apresiasi*", "appreciate*", "sukses selalu", "ditunggu orderan")
	add(catNeg, false, "not", "no", "tidak", "bukan", "belum", "can't", "cannot", "unable", "won't", "tak",
		"never", "don't", "doesn't", "isn't", "without", "jangan")
	add(catTerms, false, "hanya", "only", "berlaku", "applies", "valid", "habis", "expired", "berakhir",
		"sold out", "take", "takes", "policy")
	add(catComplaint, true, "kecewa*", "mengecewakan", "parah", "rusak", "penyok", "cacat", "error", "eror",
		"gagal", "belum", "lama", "lelet", "lambat", "telat", "terlambat", "nipu", "penipu", "tipu*", "kasar",
		"kepotong", "terpotong", "dipotong", "refund*", "komplain", "complain*", "tolong", "kok", "kapan",
		"hilang", "nyasar", "salah", "zonk", "jelek", "buruk", "kesal", "marah", "bohong", "ribet",
		"susah", "menunggu", "bagaimana ini", "still", "hasn't", "haven't", "never", "worst", "terrible",
		"awful", "horrible", "disappoint*", "broken", "damaged", "wrong", "missing", "late", "delay*",
		"crash*", "rude", "charged", "twice", "scam", "useless", "can't", "cannot", "won't", "doesn't",
		"didn't", "nobody", "where is", "waiting", "waited", "unacceptable", "ridiculous", "angry",
		"frustrat*", "fail*", "bug", "problem", "issue", "tidak bisa", "tidak ada", "tidak dibalas",
		"tidak balas", "balas2", "ditolak", "lemot", "mahal", "kemahalan", "nyesel", "menyesal", "kapok",
		"sampah", "payah", "help", "😡", "😠", "🤬", "😤", "😭", "unbelievable", "again", "third time",
		"seriously", "kurang", "mati", "pecah", "asal-asalan", "asal2an", "ugal-ugalan", "ngebut", "takut",
		"tidak datang", "tidak sampai", "tidak muncul", "tidak jalan", "tidak masuk", "tidak nyala",
		"mahal", "lemot", "hang", "stuck", "nyangkut", "ditipu", "dibohongi", "kecewa", "sedih", "capek",
		"percuma", "tega", "zolim", "zalim", "mengerikan", "kacau", "berantakan", "bocor", "basi", "kotor",
		"dirty", "cold", "stolen", "lost", "refused", "denied", "overcharged", "cancelled", "canceled",
		"without", "nothing", "no one", "no response", "no reply", "ignored", "ghosted", "hours", "weeks",
		"tindak lanjut", "tidak ada kabar", "masih", "udah # hari", "sudah # hari", "sudah # minggu")
	add(catQuestion, false, "berapa", "apa", "apakah", "dimana", "di mana", "bagaimana cara", "how", "what",
		"when", "where", "which", "can i", "do you", "is there", "are you", "bisa tidak", "ada tidak",
		"gimana cara", "boleh tahu", "mau tanya", "tanya")
	add(catPraise, false, "love", "amazing", "great", "awesome", "thanks", "makasih", "terima kasih", "mantap",
		"mantul", "keren", "puas", "suka", "cepat", "recommended", "recommend", "best", "bagus", "enak",
		"happy", "helpful", "ramah", "terbaik", "👍", "❤", "😍", "🔥", "🥰", "💯", "juara")
	return lx
}

// --- normalised words ---

type atok struct {
	s, e   int32 // the normalised word in norm.buf
	a2, e2 int32 // letters stretched 3+ times folded to two ("maaaaf" -> "maaf"); e2 == 0: none
	a1, e1 int32 // ... folded to one ("bangeeet" -> "banget")
	raw    int32 // start in the original text
	rawE   int32 // end in the original text
	emoji  bool
	num    bool // starts with a digit
}

type norm struct {
	buf  []byte
	toks []atok
}

func (z *norm) reset() {
	z.buf = z.buf[:0]
	z.toks = z.toks[:0]
}

func (z *norm) word(i int) []byte { return z.buf[z.toks[i].s:z.toks[i].e] }

// run tokenises text into normalised words. URLs, @handles, e-mail domains
// and #hashtags are skipped: they are names, not wording. Emoji become words
// of their own ("🙄"); variation selectors, joiners and skin tones are
// dropped. In a phrase (phrase true) a lone "#" stands for any number and a
// trailing "*" makes a word a prefix.
func (z *norm) run(lx *lexicon, text string, phrase bool) {
	n := len(text)
	for i := 0; i < n; {
		c := text[i]
		if phrase && c == '#' && (i+1 == n || text[i+1] == ' ') {
			s := len(z.buf)
			z.buf = append(z.buf, '#')
			z.toks = append(z.toks, atok{s: int32(s), e: int32(len(z.buf))})
			i++
			continue
		}
		if phrase && c == '*' && len(z.toks) > 0 {
			t := &z.toks[len(z.toks)-1]
			if int(t.e) != len(z.buf) { // folded copies were appended after it
				s := len(z.buf)
				z.buf = append(z.buf, z.buf[t.s:t.e]...)
				t.s, t.e = int32(s), int32(len(z.buf))
			}
			z.buf = append(z.buf, '*')
			t.e = int32(len(z.buf))
			i++
			continue
		}
		// URLs and handles
		if (c == 'h' || c == 'H') && (hasPrefixFold(text[i:], "http://") || hasPrefixFold(text[i:], "https://")) ||
			(c == 'w' || c == 'W') && hasPrefixFold(text[i:], "www.") {
			for i < n && !isSpaceByte(text[i]) {
				i++
			}
			continue
		}
		if c == '@' || c == '#' && i+1 < n && !isDigit(text[i+1]) {
			i++
			for i < n && (isAlnum(text[i]) || text[i] == '_' || text[i] == '.' || text[i] == '-') {
				i++
			}
			continue
		}
		r, sz := rune(c), 1
		if c >= utf8.RuneSelf {
			r, sz = utf8.DecodeRuneInString(text[i:])
		}
		switch {
		case isWordRune(r):
			i = z.wordAt(lx, text, i)
		case isEmoji(r):
			s := len(z.buf)
			z.buf = utf8.AppendRune(z.buf, r)
			z.toks = append(z.toks, atok{s: int32(s), e: int32(len(z.buf)), raw: int32(i), rawE: int32(i + sz), emoji: true})
			i += sz
		default:
			i += sz
		}
	}
}

func (z *norm) wordAt(lx *lexicon, text string, i int) int {
	start := len(z.buf)
	raw := i
	stretched := false
	var last rune = -1
	repeat := 0
	n := len(text)
	for i < n {
		r, sz := rune(text[i]), 1
		if r >= utf8.RuneSelf {
			r, sz = utf8.DecodeRuneInString(text[i:])
		}
		if !isWordRune(r) {
			// keep an apostrophe or hyphen between letters: "we'll",
			// "berkali-kali", "e-mail"
			if (r == '\'' || r == '’' || r == 'ʼ' || r == '-') && i+sz < n && len(z.buf) > start {
				nr, _ := utf8.DecodeRuneInString(text[i+sz:])
				if isWordRune(nr) {
					if r == '-' {
						z.buf = append(z.buf, '-')
					} else {
						z.buf = append(z.buf, '\'')
					}
					i += sz
					last, repeat = -1, 0
					continue
				}
			}
			break
		}
		r = unicode.ToLower(r)
		if r == last {
			repeat++
			if repeat == 2 && unicode.IsLetter(r) {
				stretched = true
			}
		} else {
			last, repeat = r, 0
		}
		z.buf = utf8.AppendRune(z.buf, r)
		i += sz
	}
	t := atok{s: int32(start), e: int32(len(z.buf)), raw: int32(raw), rawE: int32(i), num: isDigit(z.buf[start])}
	if stretched {
		t.a2, t.e2 = z.fold(start, int(t.e), 2)
		t.a1, t.e1 = z.fold(start, int(t.e), 1)
	}
	// informal spellings: replace the word in place with its one form
	if rep, ok := lx.slang[string(z.buf[t.s:t.e])]; ok {
		z.buf = append(z.buf[:t.s], rep...)
		t.e = int32(len(z.buf))
		t.e2, t.e1 = 0, 0
	} else if t.e1 != 0 {
		if rep, ok := lx.slang[string(z.buf[t.a1:t.e1])]; ok {
			t.a1 = int32(len(z.buf))
			z.buf = append(z.buf, rep...)
			t.e1 = int32(len(z.buf))
		}
	}
	z.toks = append(z.toks, t)
	return i
}

// fold appends buf[s:e] with runs of a repeated letter cut to max and
// returns where the copy is.
func (z *norm) fold(s, e, max int) (int32, int32) {
	start := len(z.buf)
	var last rune = -1
	run := 0
	for i := s; i < e; {
		r, sz := utf8.DecodeRune(z.buf[i:])
		if r == last {
			run++
		} else {
			last, run = r, 1
		}
		if run <= max || !unicode.IsLetter(r) {
			z.buf = utf8.AppendRune(z.buf, r)
		}
		i += sz
	}
	return int32(start), int32(len(z.buf))
}

func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return isAlnum(byte(r))
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

func isEmoji(r rune) bool {
	switch {
	case r >= 0x1F300 && r <= 0x1FAFF:
		return !(r >= 0x1F3FB && r <= 0x1F3FF) // skin tones are modifiers
	case r >= 0x2600 && r <= 0x27BF:
		return true
	}
	return false
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// --- matching ---

type hit struct {
	phrase int32
	at     int32 // token index
	n      int32 // tokens matched
}

// match finds every phrase occurrence in z, skipping tokens from index
// `until` on (the signature), and calls fn for each.
func (lx *lexicon) match(z *norm, until int, fn func(h hit)) {
	for i := 0; i < until; i++ {
		t := z.toks[i]
		lx.try(z, i, until, lx.first[string(z.buf[t.s:t.e])], fn)
		if t.e2 != 0 {
			lx.try(z, i, until, lx.first[string(z.buf[t.a2:t.e2])], fn)
			lx.try(z, i, until, lx.first[string(z.buf[t.a1:t.e1])], fn)
		}
		if t.e-t.s >= 3 {
			lx.try(z, i, until, lx.prefix[string(z.buf[t.s:t.s+3])], fn)
		}
		if t.num {
			lx.try(z, i, until, lx.number, fn)
		}
	}
}

func (lx *lexicon) try(z *norm, i, until int, cands []int32, fn func(h hit)) {
	for _, pi := range cands {
		p := &lx.phrases[pi]
		if i+len(p.words) > until {
			continue
		}
		ok := true
		for k, w := range p.words {
			if !z.matches(i+k, w) {
				ok = false
				break
			}
		}
		if ok {
			fn(hit{phrase: pi, at: int32(i), n: int32(len(p.words))})
		}
	}
}

func (z *norm) matches(i int, w string) bool {
	t := z.toks[i]
	if w == "#" {
		return t.num
	}
	forms := [3][2]int32{{t.s, t.e}, {t.a2, t.e2}, {t.a1, t.e1}}
	nf := 1
	if t.e2 != 0 {
		nf = 3
	}
	for _, f := range forms[:nf] {
		b := z.buf[f[0]:f[1]]
		if w[len(w)-1] == '*' && len(w) > 1 {
			p := w[:len(w)-1]
			if len(b) >= len(p) && string(b[:len(p)]) == p {
				return true
			}
			continue
		}
		if string(b) == w {
			return true
		}
	}
	return false
}

// isCat reports whether token i is a one-word phrase of category c.
func (lx *lexicon) isCat(z *norm, i int, c category) bool {
	if i < 0 || i >= len(z.toks) {
		return false
	}
	t := z.toks[i]
	for _, pi := range lx.first[string(z.buf[t.s:t.e])] {
		if p := &lx.phrases[pi]; p.cat == c && len(p.words) == 1 {
			return true
		}
	}
	return false
}

// negated reports a negation up to three words before token i, or (after)
// up to two words after its phrase: "tidak bisa memberikan kompensasi",
// "refund tidak bisa".
func (lx *lexicon) negated(z *norm, h hit, after bool) bool {
	for j := int(h.at) - 1; j >= int(h.at)-3 && j >= 0; j-- {
		if lx.isCat(z, j, catNeg) {
			return true
		}
	}
	if after {
		end := int(h.at + h.n)
		for j := end; j < end+2 && j < len(z.toks); j++ {
			if lx.isCat(z, j, catNeg) {
				return true
			}
		}
	}
	return false
}

// terms reports words that describe a promotion's terms right after a
// compensation word: "diskon ongkir 15% hanya berlaku ...", "voucher dan
// sudah habis".
func (lx *lexicon) terms(z *norm, h hit) bool {
	end := int(h.at + h.n)
	for j := end; j < end+3 && j < len(z.toks); j++ {
		if lx.isCat(z, j, catTerms) {
			return true
		}
	}
	return false
}
