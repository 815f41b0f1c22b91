// A private header of //engine (the per-command mutations of the store),
// which no other package may include.
#include "engine/internal/mutations.h"
