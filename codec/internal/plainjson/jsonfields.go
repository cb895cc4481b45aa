package plainjson

import (
	"cmp"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"sync"
	"unicode"
)

// jsonField is one field of a struct as encoding/json writes it. EncodePlainJSON needs the same field
// list as encoding/json (names from tags, omitempty/omitzero/string options, fields promoted from
// embedded structs and Go's rules for conflicting names), and encoding/json does not export it, so
// jsonFieldsOf rebuilds it following the rules documented for json.Marshal.
type jsonField struct {
	name      string
	key       []byte // `"name":`, HTML-escaped as encoding/json writes it
	index     []int
	typ       reflect.Type
	tagged    bool
	omitEmpty bool
	omitZero  bool
	quoted    bool // the ",string" option on a bool, number or string field
}

var jsonFieldCache sync.Map // reflect.Type → []jsonField

func jsonFieldsOf(t reflect.Type) []jsonField {
	if f, ok := jsonFieldCache.Load(t); ok {
		return f.([]jsonField)
	}
	f, _ := jsonFieldCache.LoadOrStore(t, computeJSONFields(t))
	return f.([]jsonField)
}

func computeJSONFields(t reflect.Type) []jsonField {
	type embedded struct {
		typ   reflect.Type
		index []int
	}
	var fields []jsonField
	level := []embedded{}
	next := []embedded{{typ: t}}
	var count map[reflect.Type]int
	nextCount := map[reflect.Type]int{}
	visited := map[reflect.Type]bool{}

	// Breadth first: fields of the struct itself, then those promoted from embedded structs one level
	// down, and so on.
	for len(next) > 0 {
		level, next = next, level[:0]
		count, nextCount = nextCount, map[reflect.Type]int{}
		for _, s := range level {
			if visited[s.typ] {
				continue
			}
			visited[s.typ] = true
			for i := range s.typ.NumField() {
				sf := s.typ.Field(i)
				if sf.Anonymous {
					ft := sf.Type
					if ft.Kind() == reflect.Pointer {
						ft = ft.Elem()
					}
					if !sf.IsExported() && ft.Kind() != reflect.Struct {
						continue // an embedded unexported non-struct type contributes nothing
					}
				} else if !sf.IsExported() {
					continue
				}
				tag := sf.Tag.Get("json")
				if tag == "-" {
					continue
				}
				name, opts, _ := strings.Cut(tag, ",")
				if !validJSONTagName(name) {
					name = ""
				}
				index := append(slices.Clone(s.index), i)
				ft := sf.Type
				if ft.Name() == "" && ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if name == "" && sf.Anonymous && ft.Kind() == reflect.Struct {
					// An untagged embedded struct: its fields are promoted, looked at on the next level.
					nextCount[ft]++
					if nextCount[ft] == 1 {
						next = append(next, embedded{typ: ft, index: index})
					}
					continue
				}
				f := jsonField{
					name:      name,
					index:     index,
					typ:       sf.Type,
					tagged:    name != "",
					omitEmpty: hasOpt(opts, "omitempty"),
					omitZero:  hasOpt(opts, "omitzero"),
				}
				if f.name == "" {
					f.name = sf.Name
				}
				if hasOpt(opts, "string") {
					switch ft.Kind() {
					case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
						reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
						reflect.Float32, reflect.Float64, reflect.String:
						f.quoted = true
					}
				}
				key, _ := json.Marshal(f.name)
				f.key = append(key, ':')
				fields = append(fields, f)
				if count[s.typ] > 1 {
					// The struct was embedded twice at this level: a duplicate makes its fields conflict.
					fields = append(fields, f)
				}
			}
		}
	}

	// Among fields with one name, the shallowest wins, a tagged one over untagged ones at that depth; a
	// tie drops the name altogether.
	slices.SortStableFunc(fields, func(a, b jsonField) int {
		return cmp.Or(strings.Compare(a.name, b.name), cmp.Compare(len(a.index), len(b.index)),
			boolFirst(a.tagged, b.tagged), slices.Compare(a.index, b.index))
	})
	out := fields[:0]
	for i := 0; i < len(fields); {
		j := i + 1
		for j < len(fields) && fields[j].name == fields[i].name {
			j++
		}
		group := fields[i:j]
		if len(group) == 1 || len(group[0].index) < len(group[1].index) || group[0].tagged != group[1].tagged {
			out = append(out, group[0])
		}
		i = j
	}
	slices.SortFunc(out, func(a, b jsonField) int { return slices.Compare(a.index, b.index) })
	return out
}

func boolFirst(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return -1
	}
	return 1
}

func hasOpt(opts, want string) bool {
	for opts != "" {
		var o string
		o, opts, _ = strings.Cut(opts, ",")
		if o == want {
			return true
		}
	}
	return false
}

// validJSONTagName reports whether encoding/json accepts name as a key from a tag.
func validJSONTagName(name string) bool {
	if name == "" {
		return false
	}
	for _, c := range name {
		if !strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c) && !unicode.IsLetter(c) && !unicode.IsDigit(c) {
			return false
		}
	}
	return true
}
