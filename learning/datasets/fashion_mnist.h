#pragma once
// Fashion-MNIST (Xiao, Rasul and Vollgraf 2017; Zalando, MIT licence): 60,000 training and
// 10,000 test images of clothing, 28×28 grey levels, 10 classes, as the four gzip IDX files
// Debian's package dataset-fashion-mnist installs in /usr/share/datasets/fashion-mnist.
#include <string>

#include "learning/datasets/image_set.h"

namespace dgm::learning::datasets {

inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

struct TrainTest {
  ImageSet train;
  ImageSet test;  // ids follow the training images'
};

// Reads DIR/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz. Throws dgm::Error naming the
// missing file and how to install the package, or what is wrong with a file (idx.h).
TrainTest read_fashion_mnist(const std::string& dir);

}  // namespace dgm::learning::datasets
