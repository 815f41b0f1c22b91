// A private header of //engine (epoch-based reclamation behind the store's
// read path), which no other package may include.
#include "engine/internal/epoch.h"
