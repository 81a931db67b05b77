/* message-json.h — a decoded message as a JSON object, every field by name. */
#pragma once

#include <json-glib/json-glib.h>

#include "shoal-message.h"

G_BEGIN_DECLS

JsonNode *message_to_json (const ShoalMessage *message);

G_END_DECLS
