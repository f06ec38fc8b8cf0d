package config_test

import "os"

func fsMode(perm uint32) os.FileMode { return os.FileMode(perm) }
