#include "quiz_element.hpp"

#include <profo/sdk/plugin.hpp>

PROFO_PLUGIN(profo::elements::QuizElement, element)
