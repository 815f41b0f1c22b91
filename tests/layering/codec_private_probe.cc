// A private header of //codec (the strict pre-scan), which no other package
// may include.
#include "codec/internal/prescan.h"
