// Public headers of codec and engine, through the targets that export them.
#include "codec/c3p_request.h"
#include "engine/conference_store.h"
#include "engine/model.h"
