package adapter

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestIndexJSONKeepsEveryField: an HA group's new leader plans against the
// index it decodes, so every field must survive the round trip. The test
// fills each field by reflection: a field added to Index and not to its
// JSON form fails it (the mapped fields were once lost that way).
func TestIndexJSONKeepsEveryField(t *testing.T) {
	var idx Index
	v := reflect.ValueOf(&idx).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		f = reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem() // unexported
		name := v.Type().Field(i).Name
		switch f.Interface().(type) {
		case string:
			f.SetString("value of " + name)
		case []string:
			f.Set(reflect.ValueOf([]string{name, "second"}))
		case map[string]bool:
			f.Set(reflect.ValueOf(map[string]bool{name: true}))
		case map[string][]string:
			f.Set(reflect.ValueOf(map[string][]string{name: {"a", "b"}}))
		default:
			t.Fatalf("Index.%s has type %s: teach this test to fill it", name, f.Type())
		}
	}
	b, err := json.Marshal(&idx)
	require.NoError(t, err)
	var back Index
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, idx, back, fmt.Sprintf("JSON: %s", b))
}
