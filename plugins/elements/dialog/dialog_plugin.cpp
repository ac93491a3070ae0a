// The module's one entry point; kept apart so unit tests link the element
// without exporting a plugin descriptor.
#include "dialog_element.hpp"

#include <profo/sdk/abi.hpp>

PROFO_PLUGIN(profo::elements::dialog::DialogElement, element)
