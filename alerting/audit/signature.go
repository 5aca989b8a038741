package audit

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Signature extracts an agent's sign-off from the end of a reply, for
// per-agent reporting: "^RN", "-Dina", "~Budi", "– Theo", "Salam, Rina",
// "Best, Rina", "Regards,\nTom". It returns the name and the byte offset
// where the sign-off starts (its marker), or "" and -1.
//
// Only the end of the reply is looked at, and the name must look like a
// name (one or two capitalised words, or initials), so "3-5 hari",
// "aman-aman" or "Terima kasih, Kak" are not signatures.
func Signature(text string) (string, int) {
	end := len(text)
	// trailing spaces, emoji and closing punctuation: "^RN 🙏", "-Dina."
	for end > 0 {
		r, sz := utf8.DecodeLastRuneInString(text[:end])
		if unicode.IsSpace(r) || isEmoji(r) || r == 0xFE0F || r == 0x200D || r == '.' || r == '!' || r == ')' {
			end -= sz
			continue
		}
		break
	}
	t := text[:end]
	if t == "" {
		return "", -1
	}
	// "^RN": a caret and 1-4 words of letters, at the very end.
	if k := strings.LastIndexByte(t, '^'); k >= 0 && len(t)-k <= 24 {
		name := strings.TrimSpace(t[k+1:])
		if name != "" && lettersAndSpaces(name) && strings.Count(name, " ") <= 2 {
			return name, k
		}
	}
	// "-Dina", "~ Budi", "— Theo": a dash or tilde after a space or a
	// line break, then a name.
	for k := len(t) - 1; k >= 0 && len(t)-k <= 28; {
		r, sz := utf8.DecodeLastRuneInString(t[:k+1])
		start := k + 1 - sz
		if r == '-' || r == '~' || r == '–' || r == '—' {
			if start == 0 || isSpaceByte(t[start-1]) {
				name := strings.TrimSpace(t[k+1:])
				if looksLikeName(name) {
					return name, start
				}
			}
			break
		}
		if r == '\n' || r == ',' || r == ':' || r == '?' || r == '!' {
			break
		}
		k = start - 1
	}
	// "Salam, Rina" / "Best regards,\nTom"
	sep := strings.LastIndexAny(t, ",\n")
	if sep > 0 && len(t)-sep <= 26 {
		name := strings.TrimSpace(t[sep+1:])
		lead := strings.TrimRight(t[:sep], " ,\n\r\t")
		ls := strings.LastIndexAny(lead, ".!?\n")
		phrase := strings.ToLower(strings.TrimSpace(lead[ls+1:]))
		if looksLikeName(name) && signOffs[phrase] {
			return name, ls + 1 + (len(lead[ls+1:]) - len(strings.TrimLeft(lead[ls+1:], " \t\r\n")))
		}
	}
	return "", -1
}

var signOffs = map[string]bool{
	"salam": true, "salam hangat": true, "salam kami": true, "hormat kami": true, "regards": true,
	"best regards": true, "kind regards": true, "warm regards": true, "best": true, "cheers": true,
	"thanks": true, "thank you": true, "terima kasih": true, "makasih": true, "best wishes": true,
	"warmly": true, "sincerely": true, "hormat saya": true,
}

// honorifics are what a reply ends with when it is not signed: "Terima
// kasih, Kak", "- kak", "Salam, Tim".
var honorifics = setOf("kak", "kakak", "ka", "kk", "gan", "sis", "bro", "min", "admin", "all", "semua",
	"tim", "team", "ya", "yah", "guys", "teman", "sobat", "bos", "boss", "pak", "bu", "mas", "mbak",
	"bapak", "ibu", "everyone", "you", "again", "friend", "friends")

// looksLikeName is true for one or two capitalised words of letters
// ("Dina", "Rina S") or initials ("RN", "TK").
func looksLikeName(s string) bool {
	if s == "" || len(s) > 24 || !lettersAndSpaces(s) {
		return false
	}
	words := strings.Fields(s)
	if len(words) > 2 {
		return false
	}
	for _, w := range words {
		r, _ := utf8.DecodeRuneInString(w)
		if !unicode.IsUpper(r) {
			return false
		}
		var buf [24]byte
		if k, ok := lowerKey(w, &buf); ok {
			if _, h := honorifics[string(k)]; h {
				return false
			}
		}
	}
	return true
}

func lettersAndSpaces(s string) bool {
	for _, r := range s {
		if !unicode.IsLetter(r) && r != ' ' {
			return false
		}
	}
	return true
}
