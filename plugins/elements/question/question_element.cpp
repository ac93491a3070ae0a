#include "question_element.hpp"

#include <profo/sdk/plugin.hpp>

PROFO_PLUGIN(profo::elements::QuestionElement, element)
