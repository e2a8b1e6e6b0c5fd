/* The engine compiled in double precision: the gradient-check mode (see real.h). */
#include "ml/ml_internal.h"

#define ML_DOUBLE 1
#include "ml/real.h"
#include "ml/layers_impl.h"
#include "ml/net_impl.h"
