/* The engine compiled in float32: the production path (see real.h). */
#include "ml/ml_internal.h"

#define ML_DOUBLE 0
#include "ml/real.h"
#include "ml/layers_impl.h"
#include "ml/net_impl.h"
