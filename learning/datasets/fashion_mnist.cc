#include "learning/datasets/fashion_mnist.h"

#include <filesystem>

#include "engine/error.h"
#include "learning/datasets/idx.h"

namespace dgm::learning::datasets {

namespace fs = std::filesystem;

TrainTest read_fashion_mnist(const std::string& dir) {
  auto file = [&](const std::string& name) {
    const std::string path = (fs::path(dir) / name).string();
    std::error_code ec;
    if (!fs::is_regular_file(path, ec))
      throw Error("Fashion-MNIST not found: " + path +
                      " does not exist. Install Debian's package dataset-fashion-mnist "
                      "(apt-get install dataset-fashion-mnist; tools/quickstart.sh does), which "
                      "puts the files in " +
                      kFashionMnistDir + ", or give --source DIR for a directory holding them",
                  error_details(ErrorCode::kIo, {}, {}, path));
    return path;
  };
  // Checked in this order, so that a missing package is reported by its first file.
  const std::string train_images = file("train-images-idx3-ubyte.gz");
  const std::string train_labels = file("train-labels-idx1-ubyte.gz");
  const std::string test_images = file("t10k-images-idx3-ubyte.gz");
  const std::string test_labels = file("t10k-labels-idx1-ubyte.gz");
  TrainTest data;
  data.train = read_idx_images(train_images, train_labels, 0);
  data.test = read_idx_images(test_images, test_labels, data.train.size());
  return data;
}

}  // namespace dgm::learning::datasets
