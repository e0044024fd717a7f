#include "walker/walk.h"
