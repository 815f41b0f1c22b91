// A private header of //codec, which no other package may include.
#include "codec/xml_reader.h"
